"""Pictures of an email, drawn the same way every time: headless Chromium under Playwright,
one page per view, nothing fetched, web images as grey boxes of their declared size; and the
difference between two pictures. ``mailer shots`` (``shots.py``) runs it over issues.

The views: the email as built at its own width and on a 375 px phone, in the dark colour scheme,
and the two hard clients as ``emulation.py`` has them. Same input, same pixels: no request
leaves the page, animations and the caret are off, hinting is off and the colour profile is
sRGB, so a picture depends only on the HTML, the fonts and the Chromium.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mailer.core.config import Settings
from mailer.core.errors import MailerError
from mailer.render.emulation import emulate
from mailer.render.pipeline import Rendered


class ShotsUnavailable(MailerError):
    """What drawing the pictures needs is not installed: Playwright, or a Chromium."""


@dataclass(frozen=True)
class View:
    name: str
    width: int | None  # px; None: the email's own width (newsletter theme.width)
    dark: bool = False
    client: str | None = None  # an emulation (mailer.render.emulation), or the email as built
    about: str = ""


VIEWS = {
    view.name: view
    for view in (
        View("desktop", None, about="the email as built, at its own width"),
        View("mobile", 375, about="the email as built, on a 375 px phone"),
        View("dark", None, dark=True, about="desktop width, the reader's dark colour scheme"),
        View("gmail-app", 375, client="gmail", about="Gmail's app: every <style> dropped"),
        View("outlook-desktop", None, client="outlook", about="Outlook for Windows, emulated"),
    )
}
PLACEHOLDER_COLOUR = "#d9dde3"
CHANGED = 24  # a channel must move this much for a pixel to count as changed (anti-aliasing)
_IMG = re.compile(r"<img\b[^>]*>", re.I)
_ATTR = r'\b{}\s*=\s*"([^"]*)"'


def placeholders(html: str, settings: Settings) -> tuple[str, int]:
    """`html` with every image that would be fetched replaced by a grey box of its declared
    size (drawn offline, the same every time), and how many were replaced."""
    count = 0

    def box(match: re.Match[str]) -> str:
        nonlocal count
        tag = match[0]
        src = re.search(_ATTR.format("src"), tag, re.I)
        if src is None or src[1].startswith(("data:", "cid:")):
            return tag
        count += 1
        width = _number(re.search(_ATTR.format("width"), tag, re.I)) or settings.content_width
        height = _number(re.search(_ATTR.format("height"), tag, re.I)) or max(1, width // 2)
        svg = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
            f'<rect width="100%" height="100%" fill="{PLACEHOLDER_COLOUR}"/></svg>'
        )
        return tag.replace(src[0], f'src="data:image/svg+xml,{quote(svg)}"', 1)

    return _IMG.sub(box, html), count


def _number(match: re.Match[str] | None) -> int:
    if match is None:
        return 0
    digits = re.match(r"\d{1,5}", match[1].strip())
    return int(digits[0]) if digits else 0


CHROMIUM_ARGS = [
    "--no-sandbox",  # root in CI containers
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--font-render-hinting=none",  # the same glyph shapes whatever the machine's settings
    "--force-color-profile=srgb",
    "--hide-scrollbars",
]


def chromium_path() -> str | None:
    """A Chromium to drive: MAILER_CHROMIUM, else one on PATH; None: Playwright's own."""
    named = os.environ.get("MAILER_CHROMIUM")
    if named:
        return named
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@contextlib.contextmanager
def browser() -> Iterator[Any]:
    """A headless Chromium under Playwright, or ShotsUnavailable saying what to install."""
    try:
        import PIL  # noqa: F401  the differences are drawn with Pillow
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ShotsUnavailable(
            "mailer shots needs Playwright: pip install 'newsletter-as-code[shots]' "
            "(and a Chromium: Debian's chromium package, or python -m playwright install chromium)"
        ) from None
    executable = chromium_path()
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ShotsUnavailable(
                f"cannot start Chromium ({executable or 'Playwright’s own'}): {first} — install "
                "Debian's chromium package, set MAILER_CHROMIUM, or run "
                "python -m playwright install chromium"
            ) from None
        try:
            yield chromium
        finally:
            chromium.close()


class Camera:
    """One page, reused for every view of every issue: its width and colour scheme are set
    for each picture (a browser context per view costs a third of a second each to start)."""

    def __init__(self, chromium: Any, views: list[str], settings: Settings) -> None:
        context = chromium.new_context(
            viewport={"width": settings.width, "height": 800},
            device_scale_factor=1,
            java_script_enabled=False,  # an email runs no script; the preview's frames none
        )
        self.page = context.new_page()
        self.page.route("**/*", lambda route: route.abort())  # nothing is fetched

    def shoot(
        self, rendered: Rendered, settings: Settings, view_name: str, path: Path
    ) -> tuple[int, int, int]:
        """Draw `rendered` in one view into `path`: the number of images drawn as boxes, and
        the picture's width and height."""
        view = VIEWS[view_name]
        html = emulate(rendered.html, view.client) if view.client else rendered.html
        html, boxes = placeholders(html, settings)
        page = self.page
        page.set_viewport_size({"width": view.width or settings.width, "height": 800})
        page.emulate_media(color_scheme="dark" if view.dark else "light")
        page.set_content(html, wait_until="load")
        path.parent.mkdir(parents=True, exist_ok=True)
        png: bytes = page.screenshot(full_page=True, animations="disabled", caret="hide")
        path.write_bytes(png)
        width, height = struct.unpack(">II", png[16:24])  # the PNG's IHDR
        return boxes, width, height


def difference(before: Path, after: Path, out: Path) -> float:
    """The share of pixels that changed between two pictures (sizes may differ: the smaller is
    padded with white), and a picture of it: the new one faded, what changed in red."""
    from PIL import Image, ImageChops

    with Image.open(before) as old_image, Image.open(after) as new_image:
        old, new = old_image.convert("RGB"), new_image.convert("RGB")
    size = (max(old.width, new.width), max(old.height, new.height))
    canvas_old = Image.new("RGB", size, "white")
    canvas_old.paste(old, (0, 0))
    canvas_new = Image.new("RGB", size, "white")
    canvas_new.paste(new, (0, 0))
    delta = ImageChops.difference(canvas_old, canvas_new).convert("L")
    mask = delta.point(lambda v: 255 if v >= CHANGED else 0)
    changed = sum(mask.histogram()[255:])
    faded = Image.blend(
        canvas_new.convert("L").convert("RGB"), Image.new("RGB", size, "white"), 0.6
    )
    faded.paste(Image.new("RGB", size, (220, 30, 30)), (0, 0), mask)
    faded.save(out, optimize=True)
    return changed / (size[0] * size[1])
