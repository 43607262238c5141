"""Checks over an issue and its rendering. Each rule is a small function returning Findings.

A rule never raises on odd input: it returns findings. The caller (build, check) decides what
fails: errors always, warnings with ``--strict``.
"""

from __future__ import annotations

import difflib
import html.parser
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from mailer.issue import KNOWN_KEYS
from mailer.sanitize import REMOVED_WITH_CONTENT

if TYPE_CHECKING:
    from mailer.config import Settings
    from mailer.issue import Issue
    from mailer.markdown import Document
    from mailer.render import Rendered

Severity = Literal["error", "warning"]
GMAIL_CLIP_BYTES = 102 * 1024
SIZE_WARNING_BYTES = 90 * 1024


@dataclass(frozen=True)
class Finding:
    """One thing wrong with an issue, where it is and how bad."""

    path: Path
    line: int | None
    rule: str
    severity: Severity
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.severity}: {self.message} [{self.rule}]"

    def as_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "line": self.line,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
        }


@dataclass(frozen=True)
class Subject:
    """What a rule looks at: the issue, its parsed body, its rendering and the settings."""

    issue: Issue
    doc: Document
    rendered: Rendered
    settings: Settings


Rule = Callable[[Subject], Iterable[Finding]]


def _finding(s: Subject, line: int | None, rule: str, severity: Severity, message: str) -> Finding:
    return Finding(s.issue.path, line, rule, severity, message)


def check_size(s: Subject) -> Iterator[Finding]:
    size = len(s.rendered.html.encode("utf-8"))
    kb = size / 1024
    if size > GMAIL_CLIP_BYTES:
        yield _finding(
            s,
            None,
            "size",
            "error",
            f"the HTML is {kb:.0f} KB: Gmail clips emails over 102 KB and hides the rest "
            "(and the unsubscribe link) behind 'View entire message'; shorten the issue",
        )
    elif size > SIZE_WARNING_BYTES:
        yield _finding(
            s,
            None,
            "size",
            "warning",
            f"the HTML is {kb:.0f} KB, close to Gmail's 102 KB clipping limit",
        )


_SUSPECT = re.compile(
    r"<(?:" + "|".join(sorted(REMOVED_WITH_CONTENT)) + r")\b|\son\w+\s*=|javascript:", re.IGNORECASE
)


class _TagScanner(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in REMOVED_WITH_CONTENT:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{name}= on <{tag}>")
            elif name in ("href", "src") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"a javascript: URL on <{tag}>")


def check_forbidden_markup(s: Subject) -> Iterator[Finding]:
    raw_html: list[tuple[str, int]] = [
        (str(event.get("Html") or event.get("InlineHtml")), index)
        for index, event in enumerate(s.doc.events)
        if isinstance(event, dict) and ("Html" in event or "InlineHtml" in event)
    ]
    # one cheap look over all of it first; the parser decides, event by event, only when needed
    if not _SUSPECT.search("".join(raw for raw, _ in raw_html)):
        return
    for raw, index in raw_html:
        if not _SUSPECT.search(raw):
            continue
        scanner = _TagScanner()
        scanner.feed(raw)
        scanner.close()
        for what in dict.fromkeys(scanner.found):
            yield _finding(
                s,
                s.doc.line_at(index),
                "forbidden-markup",
                "warning",
                f"{what} is removed from the email (mail clients block it); "
                "link to the content instead",
            )


def check_front_matter_keys(s: Subject) -> Iterator[Finding]:
    for key in s.issue.meta:
        if key in KNOWN_KEYS:
            continue
        close = difflib.get_close_matches(key, KNOWN_KEYS, n=1, cutoff=0.8)
        if close:
            yield _finding(
                s,
                s.issue.line_of(key),
                "front-matter-key",
                "warning",
                f'unknown key "{key}": did you mean "{close[0]}"? (it is ignored)',
            )


RULES: tuple[Rule, ...] = (check_size, check_forbidden_markup, check_front_matter_keys)


def run_rules(subject: Subject, rules: Iterable[Rule] = RULES) -> tuple[Finding, ...]:
    """All findings for one rendered issue, in rule order then line order."""
    found: list[Finding] = []
    for rule in rules:
        found.extend(sorted(rule(subject), key=lambda f: f.line or 0))
    return tuple(found)
