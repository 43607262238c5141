"""MJML → responsive HTML; hides which compiler we use (MRML, via mjml-python) behind one call."""

from __future__ import annotations

import mjml as _mrml

from mailer.errors import TemplateError


def compile_mjml(source: str, template: str = "email.mjml.j2") -> str:
    """Compile an MJML document; a compiler error names the template it came from."""
    try:
        return str(_mrml.mjml2html(source, disable_comments=False, fonts={}))
    except (ValueError, RuntimeError) as exc:
        raise TemplateError(template, f"MJML: {exc}") from None
