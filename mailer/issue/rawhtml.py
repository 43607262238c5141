"""Reading an issue's raw HTML with the standard library's parser, whatever that HTML is.

The HTML writer, the text part and the gate read raw HTML from issues. ``html.parser`` copes
with almost anything, except a malformed declaration or marked section (``<![ x]>``,
``<!DOCTYPE [``), where it raises AssertionError. Those mean nothing in an email body, so they
are read as text.

Most raw HTML in real issues is a line break or a lone comment (linter directives):
``without_parser`` reads those with no HTML parser, for all three readers.
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


BREAK_TAGS = frozenset({"<br>", "<br/>", "<br />"})
_LONE_COMMENT = re.compile(r"<!--(?:(?!--).)*-->(\s*)", re.S)
LINE_BREAK = "<br>"  # never the white space after a comment, so it cannot be taken for one


def without_parser(raw: str, reader: html.parser.HTMLParser | None = None) -> str | None:
    """What a piece of raw HTML means when no parser is needed: ``LINE_BREAK`` for a ``<br>``
    the white space after it for a lone comment; None when a parser must read it, or when
    `reader` is in the middle of something (text buffered, inside ``<script>``...)."""
    if reader is not None and (reader.rawdata or reader.cdata_elem is not None):
        return None
    if raw in BREAK_TAGS:
        return LINE_BREAK
    if raw.startswith("<!--"):
        match = _LONE_COMMENT.fullmatch(raw)
        if match:
            return match[1]
    return None
