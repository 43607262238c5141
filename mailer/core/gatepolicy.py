"""Which findings the gate reports, and how loud: configured like a linter (ruff's ways).
Applied wherever findings are made (``mailer.checks``), so build, check, preview and sync agree.

``[check]`` in newsletter.toml::

    select = ["link", "image-alt"]   # only these rules (an id, or a prefix: "link" is link-*)
    ignore = ["link-insecure"]       # never these
    severity = { link-text = "error", heading-skip = "off" }   # per rule: error, warning, off

``--select`` on the command line replaces the file's list; ``--ignore`` adds to it. In an
issue, a comment silences one finding: ``<!-- mailer: ignore RULE[, RULE] -->`` on the
finding's line or on the line before it. A file that cannot be read or rendered (rule
``issue``) is never silenced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mailer.core.errors import ConfigError
from mailer.core.finding import Finding

# every rule id the gate and the link check can report (mailer.checks' table, mailer.linkcheck)
RULE_IDS = frozenset(
    {
        "size", "forbidden-markup", "image-alt", "image-src", "image-width", "link-broken",
        "anchor-missing", "anchor-app", "link-insecure", "link-text", "reference-unresolved",
        "template-leftover", "placeholder", "subject", "title", "preheader", "schedule-past",
        "schedule-same-day", "front-matter-key", "hero-image", "css-support", "html-lang",
        "footer-language", "footer-address", "heading-skip", "layout-table",
        "link-dead", "link-moved", "link-soft-404", "link-timeout", "link-unreachable",
        "link-tls", "link-redirect-loop", "link-server-error", "link-rate-limited",
        "link-refused", "link-unchecked", "link-malformed", "link-local", "link-private",
        "markdown-debris", "doubled-word", "merge-tag-unknown", "header-cut", "template-unchanged",
    }
)  # fmt: skip
NEVER_SILENCED = "issue"  # a file that cannot be read: not a matter of taste
# Off unless asked for (by id or family in `select`, or a level in `severity`), as ruff keeps
# some rules out of its default set: each is right about something mailer cannot judge
# offline, and on a real archive said mostly what the editor meant.
# - anchor-app: in-page links do not work in Gmail for iOS; once an editor knows, every issue
#   with a "#roundup" link said it again (15 of the 188 reference issues).
# - link-private: a Google Docs /edit link is private only if its document is not shared;
#   the 27 in the reference issues are public documents. `check --links` tells for sure:
#   a private document sends the reader to a sign-in page (link-soft-404).
DEFAULT_OFF = frozenset({"anchor-app", "link-private"})
LEVELS = ("error", "warning", "off")
_INLINE = re.compile(r"<!--\s*mailer:\s*ignore\s+([a-z0-9, -]+?)\s*-->")


def matches(rule: str, selector: str) -> bool:
    """A selector names a rule, or a family by its prefix ("link" is every link-… rule)."""
    return rule == selector or rule.startswith(selector + "-")


@dataclass(frozen=True)
class Policy:
    select: tuple[str, ...] = ()  # empty: every rule
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)

    def asked_for(self, rule: str) -> bool:
        """Whether a rule that is off by default was turned on."""
        return any(matches(rule, s) for s in self.select) or self.severity.get(rule) in (
            "error",
            "warning",
        )

    def apply(self, findings: Iterable[Finding]) -> list[Finding]:
        kept: list[Finding] = []
        for finding in findings:
            rule = finding.rule
            if rule in DEFAULT_OFF and not self.asked_for(rule):
                continue
            if rule != NEVER_SILENCED:
                if self.select and not any(matches(rule, s) for s in self.select):
                    continue
                if any(matches(rule, s) for s in self.ignore):
                    continue
                level = self.severity.get(rule)
                if level == "off":
                    continue
                if level is not None and level != finding.severity:
                    finding = replace(finding, severity=level)  # type: ignore[arg-type]
            kept.append(finding)
        return kept

    def with_cli(self, select: str | None, ignore: str | None) -> Policy:
        """The command line's --select (comma-separated) replaces the file's; --ignore adds to
        the file's, so a rule ignored for good stays ignored."""
        return replace(
            self,
            select=selectors(select, "--select") if select is not None else self.select,
            ignore=self.ignore + (selectors(ignore, "--ignore") if ignore is not None else ()),
        )


def selectors(value: Any, where: str) -> tuple[str, ...]:
    """A list of rule ids or prefixes, each checked against the known rules."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ConfigError(f'{where} must be a list of rule ids, like ["link-insecure"]')
    found = tuple(i.strip() for i in items if i.strip())
    for selector in found:
        if not any(matches(rule, selector) for rule in RULE_IDS):
            raise ConfigError(
                f"{where}: no rule is called {selector!r} (rules: mailer check --help)"
            )
    return found


def policy_from(table: Any) -> Policy:
    """The ``[check]`` table of newsletter.toml as a Policy; ConfigError naming the key."""
    if table is None:
        return Policy()
    if not isinstance(table, dict):
        raise ConfigError("[check] must be a table")
    unknown = sorted(set(table) - {"select", "ignore", "severity"})
    if unknown:
        raise ConfigError(f"unknown key check.{unknown[0]} (known: ignore, select, severity)")
    levels = table.get("severity", {})
    if not isinstance(levels, dict):
        raise ConfigError('check.severity must be a table like { link-text = "error" }')
    for rule, level in levels.items():
        if rule not in RULE_IDS:
            raise ConfigError(f"check.severity: no rule is called {rule!r}")
        if level not in LEVELS:
            raise ConfigError(f"check.severity.{rule} must be error, warning or off, not {level!r}")
    return Policy(
        selectors(table.get("select", []), "check.select"),
        selectors(table.get("ignore", []), "check.ignore"),
        dict(levels),
    )


def silenced_lines(body: str, body_line: int) -> dict[int, set[str]]:
    """The rules each line of the file silences, from ``<!-- mailer: ignore RULE -->`` comments
    in the body: the comment's own line and the next one."""
    silenced: dict[int, set[str]] = {}
    if "mailer:" not in body:
        return silenced
    for n, line in enumerate(body.split("\n")):
        for match in _INLINE.finditer(line):
            rules = {r.strip() for r in match[1].split(",") if r.strip()}
            for where in (body_line + n, body_line + n + 1):
                silenced.setdefault(where, set()).update(rules)
    return silenced


def drop_silenced(findings: Iterable[Finding], silenced: dict[int, set[str]]) -> list[Finding]:
    if not silenced:
        return list(findings)
    return [
        f
        for f in findings
        if f.rule == NEVER_SILENCED
        or f.line is None
        or not any(matches(f.rule, s) for s in silenced.get(f.line, ()))
    ]
