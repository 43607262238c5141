"""Debian's Chromium under Playwright, launched the same way by the tests and the preview bench."""

from __future__ import annotations

import os
import shutil
from typing import Any

CHROMIUM = os.environ.get("MAILER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# no sandbox (CI runs as root), no GPU, and nothing that reaches the network on its own
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch(playwright: Any) -> Any:
    """A headless Chromium browser from a running `sync_playwright()`."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def png(width: int, height: int) -> bytes:
    """A grey PNG of this size, made here (no file, no network)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * (width * 3) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# every image an email asks for is served as a 1,600 px wide picture (the widest screenshots in
# the corpus are about that): the worst case for a client that draws images at natural size
WIDE_IMAGE = png(1600, 200)


def serve_wide_images(page: Any) -> None:
    """Answer every image request of `page` with WIDE_IMAGE and refuse everything else."""

    def answer(route: Any) -> None:
        if route.request.resource_type == "image":
            route.fulfill(body=WIDE_IMAGE, content_type="image/png")
        else:
            route.abort()

    page.route("**/*", answer)


def overflow(page: Any, html: str) -> int:
    """How many px wider than the viewport `html` draws (0: it fits)."""
    page.set_content(html, wait_until="load")
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return max(0, width - page.viewport_size["width"])


def screenshot(page: Any, html: str, width: int, dark: bool = False) -> bytes:
    """The whole email drawn `width` px wide, in the light or the dark colour scheme."""
    page.set_viewport_size({"width": width, "height": 800})
    page.emulate_media(color_scheme="dark" if dark else "light")
    page.set_content(html, wait_until="load")
    shot: bytes = page.screenshot(full_page=True, animations="disabled")
    return shot
