"""CSS inlining: the layout's and the content's styles become style="" attributes.

css-inline (Rust) instead of premailer: premailer is unmaintained, fetches remote stylesheets by
default, cannot parse modern CSS and was ~70× slower here. Remote stylesheets are never loaded:
rendering stays offline. @media rules (phones, dark mode) are kept in one <style> tag, since the
clients that honour them read <style>.

MJML's reset (``#outlook a``, ``table, td { mso-table-lspace … }``, ``img { … }``,
``p { display: block … }``) stays in the head and is not inlined: it repeats what each element
already is by default or inherits (a paragraph is a block; ``border-collapse`` does nothing on a
cell), and its ``mso-`` properties are for Outlook for Windows, which reads the head. Inlined,
it was a fifth of every email's bytes (bench/weight.py).
"""

from __future__ import annotations

import re

import css_inline

_INLINER = css_inline.CSSInliner(
    keep_at_rules=True,
    load_remote_stylesheets=False,
    minify_css=True,
)
# MJML's reset: the first style block of its head, which starts with "#outlook a"
_RESET = re.compile(r'<style type="text/css">\s*(#outlook a\s*\{.*?)</style>', re.S)


_STYLE_TAG = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.S)
_AROUND = re.compile(r"\s*([{};,>])\s*")  # no space is needed on either side of these
_AFTER_COLON = re.compile(r":\s+")  # only after: ".a :first-child" keeps its meaning


def _minified(tag: re.Match[str]) -> str:
    """A kept <style> tag (the @media rules css-inline leaves as written) without the spaces
    CSS does not need: its indentation and line breaks were a few hundred bytes per email."""
    css = _AFTER_COLON.sub(":", _AROUND.sub(r"\1", " ".join(tag[2].split())))
    return tag[1] + css.replace(";}", "}") + tag[3]


def without_reset(html: str) -> tuple[str, str]:
    """The compiled layout without MJML's reset, and the reset as one short <style> tag ("" when
    the layout has none)."""
    found = _RESET.search(html)
    if found is None:
        return html, ""
    return html[: found.start()] + html[found.end() :], f"<style>{found[1]}</style>"


def inline_css(html: str) -> str:
    """Move <style> rules into the elements they match; MJML's reset stays in the head."""
    html, reset = without_reset(html)
    inlined = _STYLE_TAG.sub(_minified, str(_INLINER.inline(html)))
    if reset:
        head = inlined.find("<head>")
        if head >= 0:
            head += len("<head>")
            kept = _STYLE_TAG.sub(_minified, reset)
            inlined = inlined[:head] + kept + inlined[head:]
    return inlined
