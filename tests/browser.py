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
