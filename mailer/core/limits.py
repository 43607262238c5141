"""The limits on what an issue may hold, checked before a parser or a native library sees it.

Each is far below where something breaks and far above what real issues use. Measured on this
project's reference machine (``tests/test_hostile.py`` keeps the margins honest):

- css-inline (Rust) overflows its stack between 10,000 and 12,000 nested elements; the deepest
  issue in 368 real ones nests 8 elements in its body and 6 Markdown lists and quotes.
  Lists nested 4,000 deep also take 2.6 s to render. So: at most 50 nested Markdown
  containers (lists, quotes) and 100 nested elements in the body's HTML.
- An issue is at most 5 MB (Gmail clips an email at 102 KB) and its front matter 64 KB.
- Dates run from 1900 to 2999: a typo like 20026 is caught, not carried into a schedule.
"""

from __future__ import annotations

import re

MAX_ISSUE_BYTES = 5_000_000
MAX_HEADER_BYTES = 64_000
MAX_CONTAINER_DEPTH = 50  # Markdown lists and block quotes inside each other
MAX_ELEMENT_DEPTH = 100  # HTML elements inside each other in the issue's body
FIRST_YEAR, LAST_YEAR = 1900, 2999
QUOTE_CHARS = 80  # of a value, in an error message
GMAIL_CLIP_BYTES = 102 * 1024  # Gmail shows the start of a longer email and a link for the rest


def shown(value: object) -> str:
    """A value for an error message: its repr, cut to ~80 characters."""
    if isinstance(value, str | int | float | bool) or value is None:
        text = repr(value)
    else:
        text = f"a {type(value).__name__}"  # never the repr of a structure: it can be huge
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


# elements that never nest: no end tag, or an end tag a parser supplies at the next sibling
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)
_NO_NESTING = _VOID | {"p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot"}
_NO_NESTING |= {"option", "colgroup", "caption", "rp", "rt"}
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^>]*?(/?)>")


def tag_depth(html: str, start: int = 0, *, exact: bool = False) -> tuple[int, int]:
    """(the deepest nesting of elements in `html`, the depth it ends at), counting from `start`.

    On HTML a serializer wrote (well formed), `exact` counts every element. On raw HTML from an
    issue it is a cheap upper bound: elements whose end tag may be left out are not counted, so
    a page of unclosed <p> is not taken for deep nesting, while unclosed <div>s are (a browser
    nests them too)."""
    skipped = _VOID if exact else _NO_NESTING
    depth = deepest = start
    for closing, name, self_closing in _TAG.findall(html):
        if self_closing or name.lower() in skipped:
            continue
        if closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest, depth
