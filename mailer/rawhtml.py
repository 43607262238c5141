"""Reading an issue's raw HTML with the standard library's parser, whatever that HTML is.

The text part and two check rules read raw HTML from issues. ``html.parser`` copes with almost
anything, except a malformed declaration or marked section (``<![ x]>``, ``<!DOCTYPE [``),
where it raises AssertionError. Those mean nothing in an email body, so they are read as text.
"""

from __future__ import annotations

import html.parser
import re

_DECLARATION = re.compile(r"<!(?!--)")


class RawHtmlParser(html.parser.HTMLParser):
    """``html.parser.HTMLParser`` that never raises on the HTML it is fed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def feed(self, data: str) -> None:
        if "<!" in data:
            data = _DECLARATION.sub("&lt;!", data)
        super().feed(data)
