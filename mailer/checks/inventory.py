"""What an issue's body contains, collected once for all the rules: links, images, headings,
text, inline styles and tables, each with the index of the event it came from (for its line).

Markdown and raw HTML both count: a link is a link whether written as ``[x](url)`` or
``<a href="url">x</a>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from mailer.issue.markdown import Document, link_href
from mailer.issue.rawhtml import LINE_BREAK, RawHtmlParser, without_parser


@dataclass(frozen=True)
class Link:
    href: str
    text: str
    index: int
    kind: str  # Inline, Reference, Autolink, Email (Markdown) or Html


@dataclass(frozen=True)
class Image:
    src: str
    alt: str | None  # None: no alt at all (only possible in raw HTML)
    width: str | None
    index: int


@dataclass
class Inventory:
    links: list[Link] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    headings: list[tuple[int, int]] = field(default_factory=list)  # (level, event index)
    texts: list[tuple[str, int, bool]] = field(default_factory=list)  # (prose, index, in a link)
    styles: list[tuple[str, str, int]] = field(default_factory=list)  # (tag, style="", index)
    tables: list[tuple[bool, int]] = field(default_factory=list)  # (has <th> or role, index)
    raw_html: list[tuple[str, int]] = field(default_factory=list)  # (raw HTML, index)

    @cached_property
    def all_text(self) -> str:
        """Every text together: rules test it for their markers (C-speed) before looping."""
        return "\n".join([text for text, _, _ in self.texts])


class _RawHtml(RawHtmlParser):
    """Reads one raw-HTML event of the issue into the inventory."""

    def __init__(self, inventory: Inventory, index: int) -> None:
        super().__init__()
        self.inv = inventory
        self.index = index
        self.open_link: tuple[str, list[str]] | None = None
        self.table_open = False
        self.table_marked = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("style"):
            self.inv.styles.append((tag, a["style"] or "", self.index))
        if tag == "a" and "href" in a:
            self.open_link = (a["href"] or "", [])
        elif tag == "img":
            self.inv.images.append(
                Image(a.get("src") or "", a.get("alt"), a.get("width"), self.index)
            )
        elif len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self.inv.headings.append((int(tag[1]), self.index))
        elif tag == "table":
            self.table_open, self.table_marked = True, a.get("role") == "presentation"
        elif tag == "th" and self.table_open:
            self.table_marked = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.open_link is not None:
            href, text = self.open_link
            self.inv.links.append(Link(href, "".join(text).strip(), self.index, "Html"))
            self.open_link = None
        elif tag == "table" and self.table_open:
            self.inv.tables.append((self.table_marked, self.index))
            self.table_open = False

    def handle_data(self, data: str) -> None:
        if self.open_link is not None:
            self.open_link[1].append(data)

    def close(self) -> None:
        super().close()
        if self.open_link is not None:  # <a href> whose text continues outside this event
            self.inv.links.append(Link(self.open_link[0], "", self.index, "Html"))
        if self.table_open:
            self.inv.tables.append((self.table_marked, self.index))


def take_inventory(doc: Document) -> Inventory:
    """Walk the body's events once and collect what the rules look at."""
    inv = Inventory()
    texts = inv.texts
    link_stack: list[tuple[str, str, int, list[str]]] = []
    code_depth = 0
    image: tuple[str, int, list[str]] | None = None
    block: _RawHtml | None = None
    for index, event in enumerate(doc.events):
        if type(event) is str:
            continue
        text = event.get("Text")
        if text is not None:  # the commonest event first, without unpacking it
            if image is not None:
                image[2].append(text)
            elif code_depth == 0:
                texts.append((text, index, bool(link_stack)))
            for _, _, _, link_text in link_stack:
                link_text.append(text)
            continue
        tag = event.get("Start")
        if tag is not None:
            if type(tag) is str:  # Paragraph, Item, Emphasis...: nothing to note but HtmlBlock
                if tag == "HtmlBlock":
                    block = _RawHtml(inv, index)
            elif "Link" in tag:
                inner: Any = tag["Link"]
                link_stack.append((link_href(inner), inner.get("link_type", ""), index, []))
            elif "Image" in tag:
                image = (str(tag["Image"]["dest_url"]), index, [])
            elif "Heading" in tag:
                inv.headings.append((int(tag["Heading"]["level"][1]), index))
            elif "CodeBlock" in tag:
                code_depth += 1
            continue
        tag = event.get("End")
        if tag is not None:
            if tag == "Link" and link_stack:
                href, link_type, start, parts = link_stack.pop()
                inv.links.append(Link(href, "".join(parts).strip(), start, link_type))
            elif tag == "Image" and image is not None:
                inv.images.append(Image(image[0], "".join(image[2]), None, image[1]))
                image = None
            elif tag == "CodeBlock":
                code_depth -= 1
            elif tag == "HtmlBlock" and block is not None:
                block.close()
                block = None
            continue
        ((kind, value),) = event.items()
        if kind == "Code":
            for _, _, _, link_text in link_stack:
                link_text.append(value)
        elif kind in ("Html", "InlineHtml"):
            inv.raw_html.append((value, index))
            tail = without_parser(value, block)
            if tail == LINE_BREAK:
                continue  # a line break holds no link, image or style
            if block is not None and kind == "Html":
                if tail is None:
                    block.feed(value)
                elif tail:
                    block.handle_data(tail)
            elif tail is None:
                reader = _RawHtml(inv, index)
                reader.feed(value)
                reader.close()
    return inv
