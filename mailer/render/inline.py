"""CSS inlining: the layout's and the content's styles become style="" attributes.

css-inline (Rust) instead of premailer: premailer is unmaintained, fetches remote stylesheets by
default, cannot parse modern CSS and was ~70× slower here. Remote stylesheets are never loaded:
rendering stays offline. @media rules (phones, dark mode) are kept in one <style> tag, since the
clients that honour them read <style>.
"""

from __future__ import annotations

import css_inline

_INLINER = css_inline.CSSInliner(
    keep_at_rules=True,
    load_remote_stylesheets=False,
    minify_css=True,
)


def inline_css(html: str) -> str:
    """Move <style> rules into the elements they match."""
    return str(_INLINER.inline(html))
