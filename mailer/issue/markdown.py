"""Markdown → events (one parse), and what every reader of them shares.

pyromark (pulldown-cmark) parses the body once; the same event tuple feeds the HTML writer
(``htmlwriter.py``), the plain-text writer (``plaintext.py``) and the gate's rules, which share
``EventWalker``. Source offsets, which turn an event into a file line, are computed only when a
finding needs one. A body nested absurdly deep is refused before it is parsed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from pathlib import Path
from typing import Any

import pyromark

from mailer.core.errors import IssueError
from mailer.core.limits import MAX_CONTAINER_DEPTH, MAX_ELEMENT_DEPTH

_OPTIONS = (
    pyromark.Options.ENABLE_TABLES
    | pyromark.Options.ENABLE_STRIKETHROUGH
    | pyromark.Options.ENABLE_FOOTNOTES
    | pyromark.Options.ENABLE_TASKLISTS
)
_PARSER = pyromark.Markdown(options=_OPTIONS)

Event = Any  # pyromark yields str | dict[str, Any]; the shape is documented by pulldown-cmark


@dataclass(frozen=True)
class Document:
    """A parsed body: its events, and the file line where the body starts."""

    source: str
    events: tuple[Event, ...]
    first_line: int
    path: Path = field(default_factory=Path)

    @cached_property
    def _lines(self) -> _LineIndex:
        return _LineIndex(self.source)

    def line_at(self, index: int) -> int:
        """The file line where event number `index` starts."""
        return self._lines.line_of(index) + self.first_line


class _LineIndex:
    """Event number → line in the body, from a second parse that records source ranges.

    Only findings need lines, and ranges cost about as much as the parse itself: so the ranged
    parse runs only when the first line is asked for, and only as far as the latest event asked
    for (pyromark's iterator is lazy).
    """

    def __init__(self, source: str) -> None:
        self.encoded = source.encode("utf-8")
        self.ranges = _PARSER.events_with_range(source, merge_text=True)
        self.starts: list[int] = []  # byte offset where each event read so far starts

    def line_of(self, index: int) -> int:
        starts = self.starts
        if index >= len(starts):
            more = islice(self.ranges, index + 1 - len(starts))
            starts.extend([span["start"] for _, span in more])
        return self.encoded.count(b"\n", 0, starts[index])


# Mailchimp-style merge tags (*|FNAME|*) would otherwise be read as emphasis
_STAR_MERGE_TAG = re.compile(r"\*\|([A-Za-z0-9_:-]+)\|\*")


def parse_markdown(body: str, first_line: int = 1, path: Path | None = None) -> Document:
    """Parse a Markdown body (CommonMark + tables, strikethrough, footnotes, task lists)."""
    path = path or Path()
    _refuse_absurd_nesting(body, first_line, path)
    if "*|" in body:
        body = _STAR_MERGE_TAG.sub(r"\\*|\1|\\*", body)
    return Document(body, tuple(_PARSER.events(body)), first_line, path)


# Hundreds of thousands of nested quotes or list markers take the parser seconds: such a body
# is refused before parsing. The substring tests are C-speed (~10 µs on a real issue); the
# line-by-line scan runs only when one of them trips.
_SUSPECT_RUNS = tuple(mark * (MAX_CONTAINER_DEPTH + 1) for mark in (">", "> ", "- ", "* ", "+ "))
_NESTING_PREFIX = re.compile(
    rf"^[ \t]*(?:(?:>|[-+*]|\d{{1,9}}[.)])[ \t]*){{{MAX_CONTAINER_DEPTH + 1}}}", re.M
)


def _refuse_absurd_nesting(body: str, first_line: int, path: Path) -> None:
    if not any(run in body for run in _SUSPECT_RUNS):
        return
    match = _NESTING_PREFIX.search(body)
    if match is not None:
        raise nesting_error(path, first_line + body.count("\n", 0, match.start()), "containers")


def nesting_error(path: Path, line: int | None, what: str) -> IssueError:
    if what == "containers":
        message = (
            f"lists and quotes nest more than {MAX_CONTAINER_DEPTH} levels deep here; "
            "mailer renders at most that many (real issues use fewer than 10)"
        )
    else:
        message = (
            f"the content here nests more than {MAX_ELEMENT_DEPTH} elements deep (lists, "
            "quotes, raw HTML); mailer renders at most that many (real issues use fewer than "
            "10): close the HTML tags you opened, or flatten the lists"
        )
    return IssueError(path, message, line)


def slugify(text: str) -> str:
    """A heading's anchor id, GitHub style: lower case, words joined by '-'."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\- ]", "", text).strip()
    return re.sub(r"[\s]+", "-", text) or "section"


def link_href(link: dict[str, Any]) -> str:
    dest = str(link["dest_url"])
    if link.get("link_type") == "Email" and not dest.startswith("mailto:"):
        return "mailto:" + dest
    return dest


class EventWalker:
    """Hands each of pyromark's events to a method: ``text``, ``start``, ``end``, ``simple``
    (SoftBreak, HardBreak, Rule) or ``other`` (code, raw HTML, footnote references...).

    The one dispatch for the writers of the HTML and of the plain text; the commonest events are
    looked up first, without unpacking the one-key dict pyromark gives for each.
    """

    def walk(self, events: tuple[Event, ...]) -> None:
        text_event, start, end = self.text, self.start, self.end
        for event in events:
            if type(event) is str:
                self.simple(event)
                continue
            text = event.get("Text")
            if text is not None:
                text_event(text)
                continue
            tag = event.get("Start")
            if tag is not None:
                start(tag)
                continue
            tag = event.get("End")
            if tag is not None:
                end(tag)
                continue
            ((kind, value),) = event.items()
            self.other(kind, value)

    def text(self, text: str) -> None:
        raise NotImplementedError

    def start(self, tag: Any) -> None:
        raise NotImplementedError

    def end(self, tag: Any) -> None:
        raise NotImplementedError

    def simple(self, event: str) -> None:
        raise NotImplementedError

    def other(self, kind: str, value: Any) -> None:
        raise NotImplementedError
