"""The email as two hard clients would take it, for the preview and the browser tests.

These are emulations in a browser, not the clients: they apply the one change to the HTML that
hurts most in each, so that what breaks there shows here.

- Gmail's apps, for accounts that are not Google's own (Outlook.com, IMAP), drop every
  ``<style>`` block: media queries and dark-mode rules are gone, only inline styles remain.
- Outlook for Windows (Word's renderer) reads the ``<!--[if mso]>`` conditional markup and skips
  what is hidden from it, ignores ``max-width`` and ``<style>`` (largely), and draws images and
  tables at their ``width`` attributes. Its Office settings (``<xml>``, ``<o:…>`` elements) are
  instructions, never shown: a browser would print their values (the "96" of PixelsPerInch).
"""

from __future__ import annotations

import re

from mailer.core.errors import ConfigError

# name → (label, what the emulation does): the preview's buttons say both
CLIENTS = {
    "gmail": ("Gmail app", "every <style> removed, as the Gmail app does for non-Google accounts"),
    "outlook": (
        "Outlook desktop",
        "MSO conditionals applied, <style> and max-width removed, width attributes honoured",
    ),
}

_STYLE_BLOCK = re.compile(r"<style\b[^>]*>.*?</style>", re.S | re.I)
# <!--[if mso | IE]>…<![endif]-->: shown to Outlook. The condition must name mso and not negate it
_FOR_MSO = re.compile(r"<!--\[if (?![^\]]*!\s*mso)[^\]]*\bmso\b[^\]]*\]>(.*?)<!\[endif\]-->", re.S)
# <!--[if !mso]><!-->…<!--<![endif]-->: hidden from Outlook
_NOT_FOR_MSO = re.compile(r"<!--\[if !mso(?: \| IE)?\]><!-->.*?<!--<!\[endif\]-->", re.S)
_STYLE_ATTRIBUTE = re.compile(r' style="([^"]*)"')
_MAX_WIDTH = re.compile(r"max-width\s*:\s*[^;]*;?", re.I)
# Office's own markup: read by Outlook, drawn by nobody
_OFFICE_MARKUP = re.compile(r"<xml\b[^>]*>.*?</xml\s*>|</?o:[^>]*>", re.S | re.I)


def emulate(html: str, client: str) -> str:
    """`html` as `client` ("gmail" or "outlook") would take it."""
    if client == "gmail":
        return _STYLE_BLOCK.sub("", html)
    if client == "outlook":
        html = _NOT_FOR_MSO.sub("", html)
        html = _FOR_MSO.sub(lambda m: m[1], html)
        html = _OFFICE_MARKUP.sub("", html)
        html = _STYLE_BLOCK.sub("", html)
        return _STYLE_ATTRIBUTE.sub(lambda m: f' style="{_MAX_WIDTH.sub("", m[1])}"', html)
    raise ConfigError(f"no emulation of {client!r} (clients: {', '.join(CLIENTS)})")
