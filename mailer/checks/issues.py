"""The gate over many issues: every rule over each (in worker processes when there are many),
then the rules across issues. An issue that cannot load or render is an error finding."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mailer.checks.meta import Dated, check_issues
from mailer.checks.process import process
from mailer.checks.report import CheckResult
from mailer.core.config import Settings
from mailer.core.finding import Finding
from mailer.issue import batch


def check_one(source: Path, settings: Settings) -> tuple[tuple[Finding, ...], Dated]:
    """One issue's findings, and what the rules across issues need of it (a batch task)."""
    rendered = process(source, settings)
    return rendered.findings, Dated.of(rendered.issue)


def check_paths(
    paths: list[Path], settings: Settings, progress: Callable[[int, int], None] | None = None
) -> CheckResult:
    """Every rule over every issue under `paths`; an issue that cannot load is an error finding.

    `progress(done, 0)` is called after each issue (the total is not known up front), and
    `progress(total, total)` at the end."""
    findings: list[Finding] = []
    dated: list[Dated] = []
    checked = 0
    for outcome in batch.run_paths(check_one, paths, settings):
        checked += 1
        if progress is not None:
            progress(checked, 0)
        if outcome.value is not None:
            found, facts = outcome.value
            findings.extend(found)
            dated.append(facts)
        elif outcome.error is not None:
            error = outcome.error
            findings.append(
                Finding(error.path or outcome.source, error.line, "issue", "error", error.message)
            )
    if progress is not None:
        progress(checked, checked)
    findings.extend(settings.policy.apply(check_issues(dated)))
    findings.sort(key=lambda f: (str(f.path), f.line or 0))
    return CheckResult(checked, tuple(findings))
