"""Fenced code with a language, highlighted for mail clients: Pygments reads the code, mailer
writes the colours as inline styles (Gmail keeps nothing else), few and short.

Only what helps reading gets a colour — comments, keywords, strings, numbers and constants,
function and class names, built-ins and types, a diff's added and removed lines; names,
operators and punctuation stay the text's own colour, so that a block of code costs a few
hundred bytes, not a span per character. Neighbouring tokens of one colour share a span.

The colours are GitHub's (Primer) for light backgrounds; in dark mode, clients that honour
``prefers-color-scheme`` (Apple Mail, Outlook for Mac) get each one's dark twin from
``email.css.j2``, which matches the inline colour with an attribute selector (``DARK``); clients
that invert colours themselves (Gmail's apps, Outlook.com) invert these with the rest. Every
colour reads at 4.5:1 or better on its code background (tests/test_highlight.py).

The code's text is kept byte for byte: when the tokens do not add up to the source (a lexer that
rewrites tabs or line ends), the block stays plain. An unknown language stays plain; nothing is
guessed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from mailer.issue.sanitize import escape_text

# (light, dark): text colour, and a background for a diff's lines
COMMENT = ("color:#59636e", "color:#a3acb7")
KEYWORD = ("color:#cf222e", "color:#ff7b72")
STRING = ("color:#0a3069", "color:#a5d6ff")
CONSTANT = ("color:#0550ae", "color:#79c0ff")
FUNCTION = ("color:#6639ba", "color:#d2a8ff")
BUILTIN = ("color:#953800", "color:#ffa657")
INSERTED = ("color:#116329;background-color:#dafbe1", "color:#aff5b4;background-color:#033a16")
DELETED = ("color:#82071e;background-color:#ffebe9", "color:#ffdcd7;background-color:#67060c")
HEADING = ("color:#0550ae;font-weight:bold", "color:#79c0ff")
STYLES = (COMMENT, KEYWORD, STRING, CONSTANT, FUNCTION, BUILTIN, INSERTED, DELETED, HEADING)
LIGHT_BACKGROUND = "#f6f8fa"  # .mailer-content pre (email.css.j2)
DARK_BACKGROUND = "#2a2e33"  # its dark-mode background

# Pygments token type (its dotted name, most specific first) → style; the rest stays plain
_BY_TOKEN = {
    "Comment": COMMENT,
    "Generic.Output": COMMENT,
    "Keyword.Type": BUILTIN,
    "Keyword": KEYWORD,
    "Operator.Word": KEYWORD,
    "Name.Tag": KEYWORD,
    "String": STRING,
    "Literal.String": STRING,
    "Number": CONSTANT,
    "Literal.Number": CONSTANT,
    "Name.Constant": CONSTANT,
    "Name.Function": FUNCTION,
    "Name.Class": FUNCTION,
    "Name.Attribute": FUNCTION,
    "Name.Builtin": BUILTIN,
    "Name.Decorator": BUILTIN,
    "Generic.Prompt": BUILTIN,
    "Generic.Inserted": INSERTED,
    "Generic.Deleted": DELETED,
    "Generic.Heading": HEADING,
    "Generic.Subheading": HEADING,
}
PLAIN_NAMES = {"text", "plain", "plaintext", "txt", "none", "output", "nohighlight"}


def highlight(code: str, language: str) -> str | None:
    """The code as escaped HTML with coloured spans, or None to leave it plain: an unknown
    language, nothing to colour, or tokens that would not give back the code exactly."""
    lexer = _lexer(language.lower())
    if lexer is None:
        return None
    runs: list[tuple[str | None, str]] = []  # (style, text); None: only spaces, either side's
    total = 0
    for token, value in lexer.get_tokens(code):
        total += len(value)
        runs.append((_style_of(token) if value.strip() else None, value))
    if total != len(code) or not any(style for style, _ in runs):
        return None
    # spaces between two tokens of one colour join their span; other spaces stay plain
    styles = [style for style, _ in runs]
    after = ""
    for n in range(len(runs) - 1, -1, -1):
        if styles[n] is None:
            styles[n] = after if n > 0 and _before(styles, n) == after else ""
        else:
            after = styles[n] or ""
    parts: list[str] = []
    pending_style, pending = "", list[str]()
    for style, (_, value) in zip(styles, runs, strict=True):
        if style != pending_style and pending:
            parts.append(_span(pending_style, "".join(pending)))
            pending = []
        pending_style = style or ""
        pending.append(value)
    if pending:
        parts.append(_span(pending_style, "".join(pending)))
    return "".join(parts)


def _before(styles: list[str | None], n: int) -> str:
    """The style of the last token before `n` that is not only spaces."""
    for style in reversed(styles[:n]):
        if style is not None:
            return style
    return ""


def _span(style: str, text: str) -> str:
    if not style:
        return escape_text(text)
    # a span never holds a line break: each line's colours stand alone (a client that cuts a
    # long message, or a reader that copies one line, gets whole spans)
    lines = text.split("\n")
    return "\n".join(f'<span style="{style}">{escape_text(x)}</span>' if x else "" for x in lines)


@lru_cache(maxsize=256)
def _style_of(token: Any) -> str:
    """The light style for a Pygments token type, from its most specific known ancestor."""
    while token is not None and len(token):
        found = _BY_TOKEN.get(".".join(token))
        if found is not None:
            return found[0]
        token = token.parent
    return ""


@lru_cache(maxsize=64)
def _lexer(language: str) -> Any:
    """Pygments' lexer for a fence's language name, set to keep the code exactly; None when
    it has none, or the name says "plain"."""
    if not language or language in PLAIN_NAMES:
        return None
    from pygments.lexers import get_lexer_by_name  # ~15 ms: only issues with such code pay
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(language, stripnl=False, stripall=False, ensurenl=False)
    except (ClassNotFound, ValueError, TypeError):
        return None
