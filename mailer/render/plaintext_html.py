"""Raw HTML in an issue, read for the text part: its text, links, images, breaks and blocks.

What the sanitizer removes from the HTML part (scripts, players, forms…) is skipped here too; a
player inside a link leaves its name, as in the HTML (media.py).
"""

from __future__ import annotations

from typing import Protocol

from mailer.issue.media import MEDIA, label
from mailer.issue.rawhtml import RawHtmlParser
from mailer.issue.sanitize import REMOVED_WITH_CONTENT
from mailer.render.wrapping import HARD_BREAK, SPACES


class TextSink(Protocol):
    """What the reader writes into: the text writer of plaintext.py."""

    inline: list[str]
    links: list[tuple[str, int, str] | None]
    skipping: int
    html_cells: int

    def start_link(self, href: str, kind: str) -> None: ...
    def end_link(self) -> None: ...
    def image(self, src: str, alt: str) -> None: ...
    def flush(self, *, block: bool = True) -> None: ...


# raw-HTML elements that end a line of text
_BLOCK_NAMES = (
    "p div li tr table ul ol blockquote pre h1 h2 h3 h4 h5 h6 section article header footer "
    "figure figcaption dl dt dd center details summary hr"
)
HTML_BLOCKS = frozenset(_BLOCK_NAMES.split())


class HtmlReader(RawHtmlParser):
    """Feeds raw HTML from the issue into the text writer."""

    def __init__(self, writer: TextSink) -> None:
        super().__init__()
        self.writer = writer

    def handle_starttag(
        self, tag: str, attrs: list[tuple[str, str | None]], void: bool = False
    ) -> None:
        w, a = self.writer, dict(attrs)
        if tag in REMOVED_WITH_CONTENT:
            if tag in MEDIA and w.links and w.links[-1] is not None and not w.skipping:
                # a player inside a link: its name is the link's text, as in the HTML (media.py)
                w.inline.append(label(tag, {k: v or "" for k, v in a.items()}, []))
            if not void and tag != "embed":  # <embed> is void: no end tag will come
                w.skipping += 1
        elif tag == "a" and a.get("href"):
            w.start_link(a["href"] or "", "Html")
        elif tag == "a":
            w.links.append(None)
        elif tag == "img":
            w.image(a.get("src") or "", a.get("alt") or "")
        elif tag == "br":
            w.inline.append(HARD_BREAK)
        elif tag in ("td", "th"):
            if w.html_cells:
                w.inline.append(" | ")
            w.html_cells += 1
        elif tag == "tr":
            w.flush(block=False)
            w.html_cells = 0
        elif tag in HTML_BLOCKS:
            w.flush()
            if tag == "li":
                w.inline.append("- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <video … />: named when in a link, with nothing to skip
        self.handle_starttag(tag, attrs, void=True)

    def handle_endtag(self, tag: str) -> None:
        w = self.writer
        if tag in REMOVED_WITH_CONTENT:
            w.skipping = max(0, w.skipping - 1)
        elif tag == "a":
            w.end_link()
        elif tag == "tr":
            w.flush(block=False)
        elif tag in HTML_BLOCKS:
            w.flush()

    def handle_data(self, data: str) -> None:
        if not self.writer.skipping:
            self.writer.inline.append(SPACES.sub(" ", data))
