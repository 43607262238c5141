"""The text part's page: lines under the prefixes of the lists and quotes they sit in,
paragraphs wrapped at the width, and the links of each section numbered and listed after it.
The writer (``plaintext.py``) walks the Markdown and says what goes on the page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mailer.core.urls import absolute_url, base_for
from mailer.render.wrapping import HARD_BREAK, wrap

_EDGES = " " + HARD_BREAK  # what a paragraph never starts or ends with


@dataclass
class Container:
    first: str  # prefix of the first line written inside it
    rest: str  # prefix of every later line
    used: bool = False


class TextPage:
    """The lines written so far, and the state of the paragraph and section being written."""

    def __init__(self, base_url: str, width: int) -> None:
        self.base = base_for(base_url)
        self.resolve: Callable[[str], str] | None = None  # links.Resolver, when given
        self.width = width
        self.lines: list[str] = []
        self.blank = False  # a blank line is due before the next block
        self.inline: list[str] = []  # the paragraph being written
        self.stack: list[Container] = []  # the lists and quotes open around it
        self.numbers: dict[str, int] = {}
        self.section: list[int] = []
        self.urls: list[str] = []

    def _prefixes(self) -> tuple[str, str]:
        first = rest = ""
        for box in self.stack:
            first += box.rest if box.used else box.first
            rest += box.rest
        return first, rest

    def emit(self, lines: list[str]) -> None:
        """Write block lines under the current containers' prefixes."""
        if not lines:
            return
        out = self.lines
        if not self.stack:  # the common case: top level, no prefixes
            if self.blank and out:
                out.append("")
            self.blank = False
            out.extend(lines)
            return
        first, rest = self._prefixes()
        if self.blank and out:
            # the separating line belongs to the containers already open, not one just opened
            out.append("".join(box.rest for box in self.stack if box.used).rstrip())
        self.blank = False
        out.append((first + lines[0]).rstrip())
        out.extend((rest + line).rstrip() for line in lines[1:])
        for box in self.stack:
            box.used = True

    def flush(self, *, block: bool = True) -> None:
        """Wrap and write the pending inline text as one paragraph."""
        if not self.inline:
            return
        text = "".join(self.inline).strip(_EDGES)
        self.inline = []
        if not text:
            return
        width = self.width
        if self.stack:  # inside lists or quotes: the prefix takes part of the line
            width = max(20, width - len(self._prefixes()[0]))
        self.emit(wrap(text, width))
        if block:
            self.blank = True

    def references(self) -> None:
        """List the links of the section that just ended."""
        if self.section:
            width = len(str(self.section[-1]))
            self.blank = True
            lines: list[str] = []
            for n in self.section:
                marker, url = f"[{n}]".ljust(width + 2), self.urls[n - 1]
                if len(marker) + 1 + len(url) <= self.width:
                    lines.append(f"{marker} {url}")
                else:  # the URL alone on its own line, where no client will wrap it
                    lines.extend((marker.rstrip(), "    " + url))
            self.emit(lines)
            self.blank = True
            self.section = []

    def reference(self, url: str) -> str:
        url = self.resolve(url) if self.resolve else absolute_url(url, self.base)  # as in HTML
        number = self.numbers.get(url)
        if number is None:
            self.urls.append(url)
            number = self.numbers[url] = len(self.urls)
        if number not in self.section:
            self.section.append(number)
        return f"[{number}]"

    # -- blocks -------------------------------------------------------------------------------

    def write_heading(self, text: str, level: int) -> None:
        """Levels 1 and 2 underlined (``===``, ``---``), smaller ones after ``### ``."""
        first, _ = self._prefixes()
        width = max(20, self.width - len(first))
        if level <= 2:
            lines = wrap(text, width)
            rule = "=" if level == 1 else "-"
            lines.append(rule * min(width, max(len(line) for line in lines)))
        else:
            lines = wrap("#" * level + " " + text, width)
        self.emit(lines)
        self.blank = True

    def write_code(self, code: str) -> None:
        """Code indented by four spaces, each line byte for byte: never squeezed or wrapped (a
        reader copies it; the message's quoted-printable encoding carries long lines)."""
        self.emit(["    " + line if line else "" for line in code.split("\n")])
        self.blank = True

    def write_table(self, rows: list[list[str]]) -> None:
        """Aligned columns; a table too wide for that, one record per row ("Header: value")."""
        if not rows:
            return
        first, _ = self._prefixes()
        width = self.width - len(first)
        columns = max(len(row) for row in rows)
        rows = [row + [""] * (columns - len(row)) for row in rows]
        widths = [max(len(row[c]) for row in rows) for c in range(columns)]
        if sum(widths) + 3 * (columns - 1) <= width:
            lines = [
                " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                for row in rows
            ]
            lines.insert(1, "-+-".join("-" * w for w in widths))
            self.emit(lines)
        else:
            head = rows[0]
            for row in rows[1:]:
                record: list[str] = []
                for name, cell in zip(head, row, strict=True):
                    record.extend(wrap(f"{name}: {cell}" if name else cell, width))
                self.emit(record)
                self.blank = True
        self.blank = True
