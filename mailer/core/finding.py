"""A finding: one thing wrong with an issue, where it is and how bad. A leaf: everything that
reports (the gate, sync, build, GitHub annotations) speaks in findings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Severity = Literal["error", "warning"]


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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """The finding `as_dict` wrote (a record read back from disk)."""
        return cls(
            Path(data["path"]), data["line"], data["rule"], data["severity"], data["message"]
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "line": self.line,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
        }


def count(findings: Iterable[Finding]) -> dict[str, int]:
    """Errors and warnings, counted."""
    totals = {"error": 0, "warning": 0}
    for finding in findings:
        totals[finding.severity] += 1
    return totals
