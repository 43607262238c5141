"""MJML → responsive HTML; hides which compiler we use (MRML, via mjml-python) behind one call."""

from __future__ import annotations

import re

import mjml as _mrml

from mailer.core.errors import TemplateError

# MRML writes the title into the email's aria-label with Rust's debug escaping ("\u{a0}" for a
# no-break space, "\\" for a backslash), which screen readers would read out: undo it there
_ARIA_LABEL = re.compile(r'( aria-label=")([^"]*)(" aria-roledescription="email")')
_DEBUG_ESCAPE = re.compile(r"\\(?:u\{([0-9a-fA-F]{1,6})\}|([\\'tnr0]))")
_DEBUG_CHARS = {"\\": "\\", "'": "'", "t": "\t", "n": "\n", "r": "\r", "0": "\0"}


def compile_mjml(source: str, template: str = "email.mjml.j2") -> str:
    """Compile an MJML document; a compiler error names the template it came from."""
    try:
        html = str(_mrml.mjml2html(source, disable_comments=False, fonts={}))
    except (ValueError, RuntimeError) as exc:
        raise TemplateError(template, f"MJML: {exc}") from None
    return _ARIA_LABEL.sub(_readable_label, html, count=1)


def _readable_label(match: re.Match[str]) -> str:
    label = match[2]
    if "\\" in label:
        label = _DEBUG_ESCAPE.sub(
            lambda m: chr(int(m[1], 16)) if m[1] else _DEBUG_CHARS[m[2]], label
        )
    return match[1] + label + match[3]
