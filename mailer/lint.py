"""The quality gate's frame: ``Finding``, what a rule looks at (``Subject``), and the runner.

The rules themselves live in ``mailer/checks/``, one small function each, listed in
``mailer.checks.RULES``. A rule never raises on odd input: if one does anyway, the runner turns
it into a finding rather than a traceback. Callers (build, check) decide what fails: errors
always, warnings with ``--strict``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from mailer.checks.inventory import Inventory
    from mailer.config import Settings
    from mailer.issue import Issue
    from mailer.markdown import Document
    from mailer.render import Rendered

Severity = Literal["error", "warning"]
GMAIL_CLIP_BYTES = 102 * 1024


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

    @cached_property
    def inventory(self) -> Inventory:
        from mailer.checks.inventory import take_inventory

        return take_inventory(self.doc)

    @cached_property
    def email_ids(self) -> frozenset[str]:
        """Every id and name in the final email: where in-page links can land.

        The final HTML is serialized by html5ever (css-inline), which always writes one space
        before each attribute and its value in double quotes: a pattern that starts with that
        literal space is exact, and 4× faster than one that starts with any white space.
        """
        return frozenset(html.unescape(m) for m in _ID_OR_NAME.findall(self.rendered.html))

    def line(self, index: int) -> int:
        return self.doc.line_at(index)

    def finding(self, line: int | None, rule: str, severity: Severity, message: str) -> Finding:
        return Finding(self.issue.path, line, rule, severity, message)


_ID_OR_NAME = re.compile(r' (?:id|name)="([^"]*)"')


Rule = Callable[[Subject], Iterable[Finding]]


def run_rules(subject: Subject, rules: Iterable[Rule] | None = None) -> tuple[Finding, ...]:
    """All findings for one rendered issue, rule by rule, each rule's in line order."""
    if rules is None:
        from mailer.checks import RULES

        rules = RULES
    found: list[Finding] = []
    for rule in rules:
        try:
            found.extend(sorted(rule(subject), key=lambda f: f.line or 0))
        except Exception as exc:  # a finding is better than a traceback
            name = rule.__name__.removeprefix("check_").replace("_", "-")
            found.append(
                subject.finding(
                    None,
                    name,
                    "warning",
                    f"this check could not run on this issue ({exc!r}); please report it",
                )
            )
    return tuple(found)


def count(findings: Iterable[Finding]) -> dict[str, int]:
    totals = {"error": 0, "warning": 0}
    for finding in findings:
        totals[finding.severity] += 1
    return totals
