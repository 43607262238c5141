"""Markdown events → the body's HTML fragment (not yet sanitized: raw HTML passes through, and
``sanitize.clean_body`` decides what the sanitizer must see).

The writer escapes text and attributes as the sanitizer's serializer does and asks
``sanitize.plain_url`` about every address, so that it can say whether what it wrote needs the
sanitizer at all (``BodyHtml.plain``). It also counts nesting as it goes: past the limits in
``limits.py`` the body is refused, with the line where it happened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mailer.core.errors import MailerError
from mailer.core.limits import MAX_CONTAINER_DEPTH, MAX_ELEMENT_DEPTH, tag_depth
from mailer.core.urls import absolute_url, base_for
from mailer.issue.markdown import Document, Event, EventWalker, link_href, nesting_error, slugify
from mailer.issue.rawhtml import without_parser
from mailer.issue.sanitize import escape_attribute, escape_text, plain_url
from mailer.render.highlight import highlight
from mailer.render.images import size_hint


class _TooDeep(MailerError):
    """Raised inside the writer at the first event past a nesting limit."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class _HtmlWriter(EventWalker):
    """Writes HTML for a stream of events; headings get ids, footnotes get numbers.

    It escapes text and attributes as the sanitizer's serializer does, and notes whether what it
    wrote could need the sanitizer at all (``plain``): raw HTML other than comments and line
    breaks, an address that is not plainly allowed, a link inside a link.
    """

    def __init__(self, base: str) -> None:
        self.base = base
        self.resolve: Callable[[str], str] | None = None
        self.depth = 0  # open elements, Markdown's and raw HTML's (roughly)
        self.containers = 0  # open lists and block quotes
        self.plain = True
        self.raw_html = False  # raw HTML other than lone comments and line breaks seen
        self.link_depth = 0
        self.out: list[str] = []
        self.image_depth = 0
        self.alt: list[str] = []
        self.heading_at = -1
        self.heading_text: list[str] = []
        self.ids: dict[str, int] = {}
        self.aligns: tuple[str, ...] = ()
        self.cell = 0
        self.in_head = False
        self.footnotes: dict[str, int] = {}
        self.image: dict[str, Any] = {}
        self.footnote_number = 0
        self.code: list[str] | None = None  # a fenced block's text, kept to be highlighted
        self.code_language = ""
        self.highlighted = False  # some code was coloured: the layout adds its dark colours

    def write(self, events: tuple[Event, ...]) -> str:
        self.walk(events)
        return "".join(self.out)

    def text(self, text: str) -> None:
        if self.code is not None:
            self.code.append(text)
            return
        if self.image_depth:
            self.alt.append(text)
            return
        if self.heading_at >= 0:
            self.heading_text.append(text)
        # most text has nothing to escape; testing for it is cheaper than escaping
        self.out.append(
            escape_text(text)
            if "&" in text or "<" in text or ">" in text or "\xa0" in text
            else text
        )

    def simple(self, event: str) -> None:
        if event == "SoftBreak":
            (self.alt if self.image_depth else self.out).append(" " if self.image_depth else "\n")
        elif event == "HardBreak":
            self.out.append("<br>\n")
        elif event == "Rule":
            self.out.append("<hr>\n")

    def other(self, kind: str, value: Any) -> None:
        out = self.out
        if kind in ("Code", "InlineMath", "DisplayMath"):
            if self.image_depth:
                self.alt.append(value)
                return
            if self.heading_at >= 0:
                self.heading_text.append(value)
            out.append(f"<code>{escape_text(value)}</code>")
        elif kind in ("Html", "InlineHtml"):
            if self.image_depth:
                return
            if not self.raw_html:
                # with no other raw HTML before it, nothing is open around a comment or a <br>:
                # write them as the sanitizer would (it drops comments), and stay plain
                quick = without_parser(value)
                if quick is not None:
                    out.append(quick)  # "<br>" as the sanitizer writes it, or a comment's tail
                    return
            self.raw_html, self.plain = True, False
            # raw HTML nests inside the Markdown around it: counted before the sanitizer,
            # whose HTML parser takes quadratic time on deep nesting
            deepest, self.depth = tag_depth(value, self.depth)
            if deepest > MAX_ELEMENT_DEPTH:
                raise _TooDeep("elements")
            out.append(value)
        elif kind == "FootnoteReference":
            number, anchor = self._footnote(value)
            out.append(f'<sup class="footnote-ref"><a href="#{anchor}">{number}</a></sup>')
        elif kind == "TaskListMarker":
            out.append("☑ " if value else "☐ ")

    def _url(self, url: str) -> str:
        if not plain_url(url):
            self.plain = False  # for the sanitizer to judge
            return url
        return self.resolve(url) if self.resolve else absolute_url(url, self.base)

    def _unique_id(self, base: str) -> str:
        count = self.ids.get(base, 0)
        self.ids[base] = count + 1
        return base if count == 0 else f"{base}-{count}"

    def _footnote(self, label: str) -> tuple[int, str]:
        number = self.footnotes.setdefault(label, len(self.footnotes) + 1)
        return number, "fn-" + slugify(label)

    def start(self, tag: Any) -> None:
        self.depth += 1
        if self.depth > MAX_ELEMENT_DEPTH:
            raise _TooDeep("elements")
        out = self.out
        if isinstance(tag, str):
            if self.image_depth:
                return  # alt text is plain text: its emphasis is not written, nor closed
            simple = _SIMPLE_START.get(tag)
            if simple is not None:
                out.append(simple)
                if self.footnote_number and tag == "Paragraph":
                    out.append(f"<sup>{self.footnote_number}</sup> ")
                    self.footnote_number = 0
            elif tag == "TableHead":
                self.in_head, self.cell = True, 0
                out.append("<thead><tr>")
            elif tag == "TableRow":
                self.cell = 0
                out.append("<tr>")
            elif tag == "TableCell":
                cell = "th" if self.in_head else "td"
                align = self.aligns[self.cell] if self.cell < len(self.aligns) else "None"
                # the style too: a stylesheet's text-align would override the attribute
                attr = (
                    f' align="{align.lower()}" style="text-align:{align.lower()}"'
                    if align != "None"
                    else ""
                )
                out.append(f"<{cell}{attr}>")
            return
        kind, value = next(iter(tag.items()))
        if kind in ("List", "BlockQuote"):
            self.containers += 1
            if self.containers > MAX_CONTAINER_DEPTH:
                raise _TooDeep("containers")
        if kind == "Heading":
            self.heading_at = len(out)
            self.heading_text = []
            out.append("")  # the opening tag, filled in once the text (and so the id) is known
        elif kind == "List":
            out.append(
                "<ul>\n"
                if value is None
                else ("<ol>\n" if value == 1 else f'<ol start="{int(value)}">\n')
            )
        elif kind == "BlockQuote":
            out.append("<blockquote>\n")
        elif kind == "CodeBlock":
            info = value.get("Fenced", "").split() if isinstance(value, dict) else []
            lang = info[0] if info else ""
            cls = f' class="language-{escape_attribute(lang)}"' if lang else ""
            out.append(f"<pre><code{cls}>")
            if lang:
                self.code, self.code_language = [], lang
        elif kind == "Link":
            if self.image_depth:
                return
            href = escape_attribute(self._url(link_href(value)))
            title = f' title="{escape_attribute(value["title"])}"' if value.get("title") else ""
            self.link_depth += 1
            if self.link_depth > 1:
                self.plain = False  # the HTML parser would close the outer link first
            out.append(f'<a href="{href}"{title}>')
        elif kind == "Image":
            self.image_depth += 1
            if self.image_depth == 1:
                self.alt = []
                self.image = value
        elif kind == "Table":
            self.aligns = tuple(value)
            out.append("<table>\n")
        elif kind == "FootnoteDefinition":
            number, anchor = self._footnote(value)
            out.append(f'<div class="footnote" id="{anchor}">')
            self.footnote_number = number  # shown at the start of its first paragraph

    def end(self, tag: Any) -> None:
        self.depth -= 1
        out = self.out
        if isinstance(tag, dict):
            kind, value = next(iter(tag.items()))
            if kind in ("List", "BlockQuote"):
                self.containers -= 1
            if kind == "Heading":
                level = value[1]
                text = "".join(self.heading_text)
                anchor = escape_attribute(self._unique_id(slugify(text)))
                out[self.heading_at] = f'<h{level} id="{anchor}">'
                out.append(f"</h{level}>\n")
                self.heading_at = -1
            elif kind == "List":
                out.append("</ol>\n" if value else "</ul>\n")
            elif kind == "BlockQuote":
                out.append("</blockquote>\n")
            return
        if tag == "Image":
            self.image_depth -= 1
            if self.image_depth == 0:
                image = self.image
                src = escape_attribute(self._url(str(image["dest_url"])))
                alt = escape_attribute("".join(self.alt))
                # a title that is only a size ("300px"), or ?w= in the address: its width
                width, title_text = size_hint(image.get("title"), str(image["dest_url"]))
                title = f' title="{escape_attribute(title_text)}"' if title_text else ""
                size = f' width="{width}"' if width else ""
                self.out.append(f'<img src="{src}" alt="{alt}"{title}{size}>')
            return
        if self.image_depth:
            return
        if tag == "Link":
            self.link_depth -= 1
        elif tag == "CodeBlock" and self.code is not None:
            code, self.code = "".join(self.code), None
            coloured = highlight(code, self.code_language)
            self.highlighted = self.highlighted or coloured is not None
            out.append(coloured or escape_text(code))
        simple = _SIMPLE_END.get(tag)
        if simple is not None:
            out.append(simple)
        elif tag == "TableHead":
            self.in_head = False
            out.append("</tr></thead>\n<tbody>\n")
        elif tag == "TableCell":
            out.append("</th>" if self.in_head else "</td>")
            self.cell += 1
        elif tag == "Table":
            out.append("</tbody></table>\n")


_SIMPLE_START = {
    "Paragraph": "<p>",
    "Item": "<li>",
    "Emphasis": "<em>",
    "Strong": "<strong>",
    "Strikethrough": "<del>",
    "Superscript": "<sup>",
    "Subscript": "<sub>",
    "HtmlBlock": "",
    "DefinitionList": "<dl>",
    "DefinitionListTitle": "<dt>",
    "DefinitionListDefinition": "<dd>",
}
_SIMPLE_END = {
    "Paragraph": "</p>\n",
    "Item": "</li>\n",
    "Emphasis": "</em>",
    "Strong": "</strong>",
    "Strikethrough": "</del>",
    "Superscript": "</sup>",
    "Subscript": "</sub>",
    "HtmlBlock": "",
    "CodeBlock": "</code></pre>\n",
    "Link": "</a>",
    "TableRow": "</tr>\n",
    "FootnoteDefinition": "</div>\n",
    "DefinitionList": "</dl>\n",
    "DefinitionListTitle": "</dt>\n",
    "DefinitionListDefinition": "</dd>\n",
}


@dataclass(frozen=True)
class BodyHtml:
    """The HTML written for a body, and whether it is plain: written here from Markdown alone,
    so that the sanitizer would return it unchanged (no raw HTML but comments and line breaks,
    plainly allowed addresses)."""

    html: str
    plain: bool
    highlighted: bool = False  # it holds coloured code (highlight.py)


def markdown_to_html(
    doc: Document, base_url: str = "", resolve: Callable[[str], str] | None = None
) -> BodyHtml:
    """The HTML fragment for a parsed body (raw HTML included, unsanitized); relative addresses
    are made absolute against `base_url`, or by `resolve` (``links.py``) when given."""
    writer = _HtmlWriter(base_for(base_url))
    writer.resolve = resolve
    try:
        html = writer.write(doc.events)
    except _TooDeep as deep:
        raise nesting_error(doc.path, _line_of_depth(doc, deep.what), deep.what) from None
    # the HTML parser rewrites a carriage return and drops a NUL, which Markdown passes on
    plain = writer.plain and "\r" not in doc.source and "\x00" not in doc.source
    return BodyHtml(html, plain, writer.highlighted)


def _line_of_depth(doc: Document, what: str) -> int | None:
    """The line where nesting first passes its limit (the slow way: only for the error)."""
    limit = MAX_CONTAINER_DEPTH if what == "containers" else MAX_ELEMENT_DEPTH
    depth = 0
    for index, event in enumerate(doc.events):
        if not isinstance(event, dict):
            continue
        ((kind, value),) = event.items()
        tag = value if isinstance(value, str) else next(iter(value or {"": 0}))
        counted = what != "containers" or tag in ("List", "BlockQuote")
        if kind == "Start" and counted:
            depth += 1
        elif kind == "End" and counted:
            depth -= 1
        elif kind in ("Html", "InlineHtml") and what != "containers":
            depth = tag_depth(value, depth)[1]
        if depth > limit:
            return doc.line_at(index)
    return doc.first_line
