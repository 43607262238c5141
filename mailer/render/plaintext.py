"""The text/plain part, written from the same Markdown events as the HTML (not scraped from it).

What a reader of the text part gets: headings underlined (``===`` for level 1, ``---`` for
level 2, ``### `` before smaller ones), lists with bullets or numbers and indentation, quotes as
``> ``, code verbatim and indented, tables as aligned columns (or one record per row when too
wide), links and images as numbered references listed at the end of each section, footnotes as
``[^n]``. Lines are wrapped at 78 columns; a URL is never broken. Raw HTML in the issue is read
for its text, links and images; what the sanitizer removes from the HTML is skipped here too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mailer.issue.markdown import Document, EventWalker, link_href
from mailer.issue.rawhtml import LINE_BREAK, without_parser
from mailer.render.plaintext_html import HtmlReader
from mailer.render.textpage import Container, TextPage
from mailer.render.wrapping import HARD_BREAK

WIDTH = 78


class _TextWriter(TextPage, EventWalker):
    def __init__(
        self, base_url: str, width: int, tag_link: Callable[[str], str] | None = None
    ) -> None:
        super().__init__(base_url, width)
        self.lists: list[int | None] = []
        self.links: list[tuple[str, int, str] | None] = []
        self.tag_link = tag_link  # campaign tags (campaign.py), when set
        self.skipping = 0
        self.html_cells = 0  # cells seen in the current raw-HTML table row
        self.image_depth = 0
        self.alt: list[str] = []
        self.heading: int = 0
        self.table: list[list[str]] | None = None
        self.html: HtmlReader | None = None
        self.footnotes: dict[str, int] = {}

    # -- links and images ---------------------------------------------------------------------

    def start_link(self, href: str, kind: str) -> None:
        self.links.append((href, len(self.inline), kind))

    def end_link(self) -> None:
        if not self.links:
            return
        link = self.links.pop()
        if link is None:
            return
        href, start, kind = link
        label = "".join(self.inline[start:]).strip()
        shown = href.removeprefix("mailto:")
        if href.startswith("#") or not href:
            return
        tagged = self.tag_link(href) if self.tag_link is not None else href
        if kind in ("Autolink", "Email") or label.rstrip("/") in (shown.rstrip("/"), ""):
            if tagged != href:
                self.inline[start:] = [tagged]  # the address is the text: shown as sent
            elif not label:
                self.inline.append(shown)
            return
        self.inline.append(" " + self.reference(tagged))

    def image(self, src: str, alt: str) -> None:
        label = f"[Image: {alt.strip()}]" if alt.strip() else "[Image]"
        self.inline.append(label + (" " + self.reference(src) if src else ""))

    # -- events -------------------------------------------------------------------------------

    def write(self, doc: Document) -> str:
        self.walk(doc.events)
        self.flush()
        self.references()
        return "\n".join(self.lines).strip("\n") + "\n"

    def text(self, text: str) -> None:
        if not (self.skipping or self.image_depth or self.code is not None):
            self.inline.append(text)  # the hot path: ordinary text
        elif self.skipping:
            return
        elif self.image_depth:
            self.alt.append(text)
        elif self.code is not None:
            self.code.append(text)

    def simple(self, event: str) -> None:
        if event == "SoftBreak":
            (self.alt if self.image_depth else self.inline).append(" ")
        elif event == "HardBreak":
            self.inline.append(HARD_BREAK)
        elif event == "Rule":
            self.flush()
            self.emit(["* * *"])
            self.blank = True

    def other(self, kind: str, value: Any) -> None:
        if kind in ("Code", "InlineMath", "DisplayMath"):
            if self.image_depth:
                self.alt.append(value)
            elif not self.skipping:
                self.inline.append(f"`{value}`")
        elif kind in ("Html", "InlineHtml"):
            if self.image_depth:
                return
            reader = self.html if kind == "Html" else None
            quick = without_parser(value, reader)
            if quick == LINE_BREAK:
                self.inline.append(HARD_BREAK)
                return
            if quick is not None:  # a lone comment: only the white space after it
                if quick:
                    (reader or HtmlReader(self)).handle_data(quick)
                return
            if reader is not None:
                reader.feed(value)
            else:
                reader = HtmlReader(self)
                reader.feed(value)
                reader.close()
        elif kind == "FootnoteReference":
            self.inline.append(f"[^{self._footnote(value)}]")
        elif kind == "TaskListMarker":
            self.inline.append("[x] " if value else "[ ] ")

    code: list[str] | None = None

    def _footnote(self, label: str) -> int:
        return self.footnotes.setdefault(label, len(self.footnotes) + 1)

    # Start and End events dispatch by tag name to the methods below (_open_X / _close_X); a
    # tag with no method needs nothing in plain text (paragraph starts, table heads...).

    def start(self, tag: Any) -> None:
        if type(tag) is str:
            handler = _OPEN.get(tag)
            if handler is not None:
                handler(self, None)
        else:
            ((kind, value),) = tag.items()
            handler = _OPEN.get(kind)
            if handler is not None:
                handler(self, value)

    def end(self, tag: Any) -> None:
        kind = tag if type(tag) is str else next(iter(tag))
        if self.image_depth and kind != "Image":
            return  # everything inside an image's alt text is just text
        handler = _CLOSE.get(kind)
        if handler is not None:
            handler(self)

    def _open_emphasis(self, _: Any = None) -> None:
        self.inline.append("_")

    def _open_strong(self, _: Any = None) -> None:
        self.inline.append("*")

    def _open_strikethrough(self, _: Any = None) -> None:
        self.inline.append("~~")

    def _open_item(self, _: Any) -> None:
        self.flush(block=False)
        kind = self.lists[-1] if self.lists else None
        bullet = "- " if kind is None else f"{kind}. "
        if kind is not None:
            self.lists[-1] = kind + 1
        self.stack.append(Container(bullet, " " * len(bullet)))

    def _open_html_block(self, _: Any) -> None:
        self.flush()
        self.html = HtmlReader(self)

    def _open_table_row(self, _: Any) -> None:
        if self.table is not None:
            self.table.append([])

    def _open_table_cell(self, _: Any) -> None:
        self.flush(block=False)

    def _open_heading(self, value: Any) -> None:
        self.flush()
        self.heading = int(value["level"][1])
        if self.heading <= 2 and not self.stack:
            self.references()

    def _open_list(self, value: Any) -> None:
        self.flush(block=False)
        self.lists.append(None if value is None else int(value))

    def _open_block_quote(self, _: Any) -> None:
        self.flush()
        self.stack.append(Container("> ", "> "))

    def _open_code_block(self, _: Any) -> None:
        self.flush()
        self.code = []

    def _open_link(self, value: Any) -> None:
        if not self.image_depth:
            self.start_link(link_href(value), value.get("link_type", ""))

    def _open_image(self, value: Any) -> None:
        self.image_depth += 1
        if self.image_depth == 1:
            self.alt = []
            self.image_src = str(value["dest_url"])

    def _open_table(self, _: Any) -> None:
        self.flush()
        self.table = []

    def _open_footnote_definition(self, value: Any) -> None:
        self.flush()
        label = f"[^{self._footnote(value)}]: "
        self.stack.append(Container(label, " " * 4))

    image_src = ""

    def _close_heading(self) -> None:
        self._heading()

    def _close_list(self) -> None:
        self.flush(block=False)
        self.lists.pop()
        self.blank = not self.lists  # a nested list ends inside its item: no gap

    def _close_block_quote(self) -> None:
        self.flush()
        self.stack.pop()
        self.blank = True

    def _close_image(self) -> None:
        self.image_depth -= 1
        if self.image_depth == 0:
            self.image(self.image_src, "".join(self.alt))

    def _close_item(self) -> None:
        self.flush(block=False)
        self.stack.pop()

    def _close_html_block(self) -> None:
        if self.html is not None:
            self.html.close()
        self.html = None
        self.flush()

    def _close_footnote_definition(self) -> None:
        self.flush()
        self.stack.pop()

    def _close_table_cell(self) -> None:
        if self.table is not None:
            cell = "".join(self.inline).replace(HARD_BREAK, " ")
            self.table[-1].append(" ".join(cell.split()))
        self.inline = []

    def _heading(self) -> None:
        text = " ".join("".join(self.inline).replace(HARD_BREAK, " ").split())
        self.inline = []
        self.write_heading(text, self.heading)

    def _code_block(self) -> None:
        code = "".join(self.code or []).rstrip("\n")
        self.code = None
        self.write_code(code)

    def _table(self) -> None:
        rows = [row for row in (self.table or []) if row]
        self.table = None
        self.write_table(rows)


_OPEN: dict[str, Any] = {
    "Emphasis": _TextWriter._open_emphasis,
    "Strong": _TextWriter._open_strong,
    "Strikethrough": _TextWriter._open_strikethrough,
    "Item": _TextWriter._open_item,
    "HtmlBlock": _TextWriter._open_html_block,
    "TableHead": _TextWriter._open_table_row,
    "TableRow": _TextWriter._open_table_row,
    "TableCell": _TextWriter._open_table_cell,
    "Heading": _TextWriter._open_heading,
    "List": _TextWriter._open_list,
    "BlockQuote": _TextWriter._open_block_quote,
    "CodeBlock": _TextWriter._open_code_block,
    "Link": _TextWriter._open_link,
    "Image": _TextWriter._open_image,
    "Table": _TextWriter._open_table,
    "FootnoteDefinition": _TextWriter._open_footnote_definition,
}
_CLOSE: dict[str, Any] = {
    "Heading": _TextWriter._close_heading,
    "List": _TextWriter._close_list,
    "BlockQuote": _TextWriter._close_block_quote,
    "Image": _TextWriter._close_image,
    "Paragraph": _TextWriter.flush,
    "Emphasis": _TextWriter._open_emphasis,
    "Strong": _TextWriter._open_strong,
    "Strikethrough": _TextWriter._open_strikethrough,
    "Link": lambda writer: writer.end_link(),
    "Item": _TextWriter._close_item,
    "CodeBlock": lambda writer: writer._code_block(),
    "HtmlBlock": _TextWriter._close_html_block,
    "FootnoteDefinition": _TextWriter._close_footnote_definition,
    "TableCell": _TextWriter._close_table_cell,
    "Table": lambda writer: writer._table(),
}


def markdown_to_text(
    doc: Document,
    base_url: str = "",
    width: int = WIDTH,
    tag_link: Callable[[str], str] | None = None,
    resolve: Callable[[str], str] | None = None,
) -> str:
    """The plain-text rendering of a parsed body; `tag_link` adds campaign tags to a link's
    address (campaign.py), as the HTML's links get them; `resolve` reads relative addresses as
    the HTML part does (links.py)."""
    writer = _TextWriter(base_url, width, tag_link)
    writer.resolve = resolve
    return writer.write(doc)
