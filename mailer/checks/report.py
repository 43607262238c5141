"""What the gate says: findings for people, for tools (JSON), and for GitHub (annotations and
the job summary)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mailer.core.finding import Finding, count
from mailer.core.github import annotation_lines, table


@dataclass(frozen=True)
class CheckResult:
    checked: int
    findings: tuple[Finding, ...]

    def failed(self, strict: bool = False) -> bool:
        totals = count(self.findings)
        return totals["error"] > 0 or (strict and totals["warning"] > 0)


def format_text(result: CheckResult) -> str:
    """Findings grouped per file, each file with its counts, then a summary line."""
    lines: list[str] = []
    by_file: dict[Path, list[Finding]] = {}
    for finding in result.findings:
        by_file.setdefault(finding.path, []).append(finding)
    for path, found in by_file.items():
        totals = count(found)
        lines.append(
            f"{path} ({_plural(totals['error'], 'error')}, {_plural(totals['warning'], 'warning')})"
        )
        for f in found:
            where = f"{f.line}:" if f.line else "-:"
            lines.append(f"  {where:>5} {f.severity}: {f.message} [{f.rule}]")
    totals = count(result.findings)
    lines.append(
        f"{_plural(result.checked, 'issue')} checked: {_plural(totals['error'], 'error')}, "
        f"{_plural(totals['warning'], 'warning')}"
    )
    return "\n".join(lines)


def format_statistics(result: CheckResult) -> str:
    """How many findings each rule made, most first (ruff's --statistics)."""
    counts: dict[tuple[str, str], int] = {}
    for f in result.findings:
        counts[(f.rule, f.severity)] = counts.get((f.rule, f.severity), 0) + 1
    lines = [
        f"{n:>6}  {rule:<24} {severity}"
        for (rule, severity), n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    totals = count(result.findings)
    lines.append(
        f"{_plural(result.checked, 'issue')} checked: {_plural(totals['error'], 'error')}, "
        f"{_plural(totals['warning'], 'warning')}"
    )
    return "\n".join(lines)


def format_json(result: CheckResult) -> str:
    """A JSON list of {path, line, rule, severity, message}."""
    return json.dumps([f.as_dict() for f in result.findings], indent=2, ensure_ascii=False)


def format_github(findings: Iterable[Finding]) -> str:
    """GitHub Actions workflow commands: each finding becomes an annotation on its line."""
    return annotation_lines(findings)


def summary_markdown(result: CheckResult) -> str:
    totals = count(result.findings)
    rows = [(f"`{f.path}`", f.line or "", f.severity, f.rule, f.message) for f in result.findings]
    head = (
        f"### mailer check: {_plural(result.checked, 'issue')}, "
        f"{_plural(totals['error'], 'error')}, {_plural(totals['warning'], 'warning')}"
    )
    return head + (
        "\n\n" + table(["file", "line", "severity", "rule", "message"], rows) if rows else ""
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
