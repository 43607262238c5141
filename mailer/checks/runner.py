"""The gate's frame: what a rule looks at (``Candidate``) and the runner.

The rules live beside this module, one small function each, listed in ``mailer.checks.RULES``.
A rule never raises on odd input: if one does anyway, the runner turns it into a finding (or,
under the tests and with --debug, lets it raise). Callers decide what fails: errors always,
warnings with ``--strict``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from mailer.core.finding import Finding, Severity

if TYPE_CHECKING:
    from mailer.checks.inventory import Inventory
    from mailer.core.config import Settings
    from mailer.issue.load import Issue
    from mailer.issue.markdown import Document
    from mailer.render.pipeline import Rendered


@dataclass(frozen=True)
class Candidate:
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


Rule = Callable[[Candidate], Iterable[Finding]]


# Under the tests and with --debug a rule that crashes raises (a bug must be seen); otherwise
# it becomes a finding, so one broken rule does not hide the others' findings
RAISE_RULE_ERRORS = False


def run_rules(candidate: Candidate, rules: Iterable[Rule]) -> tuple[Finding, ...]:
    """All findings for one rendered issue, rule by rule, each rule's in line order."""
    found: list[Finding] = []
    for rule in rules:
        try:
            found.extend(sorted(rule(candidate), key=lambda f: f.line or 0))
        except Exception as exc:
            if RAISE_RULE_ERRORS:
                raise
            name = rule.__name__.removeprefix("check_").replace("_", "-")
            found.append(
                candidate.finding(
                    None,
                    name,
                    "warning",
                    f"this check could not run on this issue ({exc!r}); please report it",
                )
            )
    return tuple(found)
