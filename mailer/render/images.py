"""Image widths that hold in Outlook for Windows.

Classic Outlook ignores ``max-width`` and draws an image at its ``width`` attribute, else at its
natural size: a 1,400 px screenshot widens the whole email. So every body image gets a width no
larger than the column it sits in (in a table cell, the cell's ``width``, else its even share
of the table; in a list or a quote, less their indent):

- the width the editor gave: ``![alt](src "300px")`` (a title that is only a size),
  ``?w=300`` / ``?width=300`` in the address, or ``width="300"`` in raw HTML; clamped to the
  column (a given height is scaled with it);
- otherwise, for a file of the repository whose size mailer reads (``links.py``), its natural
  width, at most the column's: never stretched, never wider than the email;
- otherwise, for an image alone in its block (a paragraph, a cell, a link alone in one) or on a
  line of its own, the column's width;
- an emoji picture (``class="emoji"``) a line of text high;
- otherwise (an image in a line of text) nothing: its size is unknown, and the ``image-width``
  rule says so.

This runs on the sanitized fragment, whose markup is canonical (html5ever's serializer, or the
Markdown writer that writes the same bytes): double-quoted attributes, lower-case names.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

LIST_INDENT = 26  # px: .mailer-content ul/ol padding-left (email.css.j2)
QUOTE_INDENT = 20  # px: blockquote border and padding
EMOJI_SIZE = 20  # px: an emoji picture in 16 px text
_EMOJI = re.compile(r"\b(?:emoji|wp-smiley)\b")


@dataclass(frozen=True)
class Fitted:
    """What happened to one image, for the ``image-width`` rule."""

    src: str
    given: int | None  # the width asked for, in px, when any
    width: int | None  # the width attribute written, None when left unknown
    column: int  # the width available where the image sits
    block: bool  # alone in its block (so shown as wide as the column when its size is unknown)
    natural: tuple[int, int] | None = None  # its own (width, height), when mailer can read it


def size_hint(title: str | None, url: str) -> tuple[int | None, str | None]:
    """(width, title) from a Markdown image: a title that is only a size ("300", "300px",
    "=300") gives the width and is no title; else ``w=`` or ``width=`` in the address."""
    if title:
        match = _TITLE_SIZE.fullmatch(title)
        if match:
            return int(match[1]), None
    if "w" in url and "?" in url:
        for key, value in parse_qsl(urlsplit(url).query):
            if key in ("w", "width") and value.isdigit() and 0 < int(value) < 10_000:
                return int(value), title
    return None, title


_TITLE_SIZE = re.compile(r"\s*=?\s*([1-9][0-9]{0,3})\s*(?:px)?\s*")


def fit_images(
    fragment: str, column: int, sizes: Mapping[str, tuple[int, int]] | None = None
) -> tuple[str, tuple[Fitted, ...]]:
    """The fragment with every image's width set for Outlook, and what was done to each.
    `sizes` holds the natural (width, height) of the images mailer can read (local files)."""
    if "<img" not in fragment:
        return fragment, ()
    out: list[str] = []
    fitted: list[Fitted] = []
    rooms = [column]  # the width available inside each open list, quote, table and cell
    cells: list[int] = []  # how many cells the open rows have
    pos = 0
    for match in _TAGS.finditer(fragment):
        closing, name = match[1], match[2]
        if name != "img":
            if closing:
                if len(rooms) > 1:
                    rooms.pop()
                if name == "tr" and cells:
                    cells.pop()
            elif name == "tr":
                cells.append(_cells_in_row(fragment, match.end()))
                rooms.append(rooms[-1])
            else:
                rooms.append(_room_inside(name, match[0], rooms[-1], cells[-1] if cells else 1))
            continue
        tag = match[0]
        room = max(rooms[-1], 40)
        block = _alone_in_block(fragment, match.start(), match.end())
        new_tag, record = _fit(tag, room, block, sizes or {})
        fitted.append(record)
        out.append(fragment[pos : match.start()])
        out.append(new_tag)
        pos = match.end()
    out.append(fragment[pos:])
    return "".join(out), tuple(fitted)


_TAGS = re.compile(r"<(/?)(ul|ol|blockquote|table|tr|td|th|img)\b[^>]*>")
_CELL_OR_ROW = re.compile(r"<(/?)(td|th|tr|table)\b[^>]*>")
CELL_SPACE = 2 * 10 + 1  # px: a cell's padding (email.css.j2) and its border


def _room_inside(name: str, tag: str, room: int, cells: int) -> int:
    """The width inside an element that opens in a space `room` wide."""
    if name in ("ul", "ol"):
        return room - LIST_INDENT
    if name == "blockquote":
        return room - QUOTE_INDENT
    attrs = dict(_ATTR.findall(tag))
    asked = _pixels(attrs.get("width"), room)
    if name == "table":
        return min(asked, room) if asked else room
    # a cell: the width it asks for, else an even share of its table's
    share = min(asked, room) if asked else room // max(cells, 1)
    return max(share - CELL_SPACE, 1)


def _cells_in_row(fragment: str, start: int) -> int:
    """How many cells the row opening at `start` holds (not counting nested tables')."""
    count = depth = 0
    for match in _CELL_OR_ROW.finditer(fragment, start):
        closing, name = match[1], match[2]
        if name == "table":
            depth += -1 if closing else 1
            if depth < 0:
                break
        elif depth == 0 and name == "tr":
            break
        elif depth == 0 and not closing:
            count += 1
    return max(count, 1)


_ATTR = re.compile(r' ([a-z][a-z0-9-]*)="([^"]*)"')
# what may stand before and after an image for it to be alone in its block, or on a line of its
# own in the Markdown (a stray bracket or full stop beside it is not a line of text)
_BLOCK_BEFORE = re.compile(
    r"(?:^|\n|<(?:p|div|figure|center|td|th|li|blockquote)(?: [^>]*)?>|<br>|</(?:p|div|h[1-6]|ul|ol"
    r"|table|figure|blockquote|pre)>)[^\w<>]*(?:<a [^>]*>\s*)?\Z"
)
_BLOCK_AFTER = re.compile(
    r"[^\S\n]*(?:</a>)?[^\w<>\n]*(?:$|\n|</(?:p|div|figure|center|td|th|li|blockquote)>|<br>"
    r"|<figcaption|<(?:p|div|h[1-6]|ul|ol|table|blockquote|pre)[ >])"
)


def _alone_in_block(fragment: str, start: int, end: int) -> bool:
    # a window is enough to see the block's start; "x" keeps ^ from matching inside the text
    before = fragment[:start] if start <= 400 else "x" + fragment[start - 400 : start]
    return bool(_BLOCK_BEFORE.search(before)) and bool(_BLOCK_AFTER.match(fragment, end))


def _fit(
    tag: str, room: int, block: bool, sizes: Mapping[str, tuple[int, int]]
) -> tuple[str, Fitted]:
    attrs = dict(_ATTR.findall(tag))
    src = attrs.get("src", "")
    natural = sizes.get(html.unescape(src)) if sizes else None
    given = _pixels(attrs.get("width"), room)
    if given is not None:
        width: int | None = min(given, room)
    elif _EMOJI.search(attrs.get("class", "")):
        # an emoji picture (Discourse, GitHub and WordPress mark them so): one line of text high
        tag = _set(_set(tag, "width", str(EMOJI_SIZE)), "height", str(EMOJI_SIZE))
        return tag, Fitted(src, EMOJI_SIZE, EMOJI_SIZE, room, block, natural)
    elif natural is not None:
        width = min(natural[0], room)  # never wider than it is, nor than its column
    else:
        width = room if block else None
    if width is not None and attrs.get("width") != str(width):
        height = _pixels(attrs.get("height"), 0)
        tag = _set(tag, "width", str(width))
        if height and given and given != width:
            tag = _set(tag, "height", str(max(1, round(height * width / given))))
    return tag, Fitted(src, given, width, room, block, natural)


def _pixels(value: str | None, room: int) -> int | None:
    """A width or height attribute in px: "300", "300px", or a percentage of `room`."""
    if not value:
        return None
    value = value.strip().lower().removesuffix("px").strip()
    if value.isdigit() and 0 < int(value) < 100_000:
        return int(value)
    if value.endswith("%") and value[:-1].strip().isdigit() and room:
        return max(1, room * min(int(value[:-1]), 100) // 100)
    return None


def _set(tag: str, name: str, value: str) -> str:
    """`tag` with attribute `name` set to `value` (values here are digits: nothing to escape)."""
    existing = re.search(f' {name}="[^"]*"', tag)
    if existing:
        return tag[: existing.start()] + f' {name}="{value}"' + tag[existing.end() :]
    closing = "/>" if tag.endswith("/>") else ">"
    return tag[: -len(closing)].rstrip() + f' {name}="{value}"' + closing
