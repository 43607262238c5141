"""What a sync run says: the plan and the result for people (and the job summary), as JSON for
tools, and as findings (annotations in GitHub Actions) for what needs a person's attention."""

from __future__ import annotations

from pathlib import Path

from mailer.core.config import Settings
from mailer.core.finding import Finding
from mailer.issue.load import issue_name
from mailer.sync.plan import WRITES
from mailer.sync.run import SyncReport, describe_time


def format_report(report: SyncReport, settings: Settings, provider: str, dry_run: bool) -> str:
    """The plan, then what happened, for people (and the GitHub job summary)."""
    if report.error is not None:
        lines = [f"Could not read {provider}'s emails, so nothing was planned or changed:"]
        lines.append(f"  {report.error}")
    else:
        lines = [
            f"Plan for {provider} ({len(report.steps)} steps"
            f"{', dry run: nothing is changed' if dry_run else ''}):"
        ]
    width = max([len(s.key) for s in report.steps] + [10])
    for step in report.steps:
        when = step.target.at if step.target and step.target.at else step.send_at
        remote = step.remote.id if step.remote else "-"
        target = f" → {step.target.state}" if step.action in WRITES and step.target else ""
        mark = "! " if step.attention else ""
        lines.append(
            f"  {step.key:<{width}}  {step.action + target:<22} "
            f"{describe_time(when, settings):<38} {remote}  {mark}{step.reason}"
        )
    for path, error in report.broken:
        lines.append(f"  {issue_name(path):<{width}}  {'error':<22} {error}")
    if report.outcomes:
        lines.append("Result:")
        for outcome in report.outcomes:
            mark = "FAILED: " if outcome.failed else ""
            lines.append(
                f"  {outcome.step.key:<{width}}  {mark}{outcome.result}  "
                f"{outcome.remote_id}  {outcome.url}".rstrip()
            )
            lines.extend(f"  {'':<{width}}  ! {note}" for note in outcome.notes)
    elif not dry_run and report.error is None:
        lines.append("Result: nothing to change.")
    if report.held:
        lines.append("Held as drafts because `mailer check` finds errors:")
        lines.extend(f"  {finding}" for finding in report.held)
    lines.extend(f"Note: {note}" for note in report.notes)
    marked = any(step.attention for step in report.steps) or any(
        outcome.failed or outcome.notes for outcome in report.outcomes
    )
    if report.failed and (marked or report.broken):
        lines.append("This run needs a person: see the lines marked ! or FAILED above.")
    elif report.failed:
        lines.append("Nothing was changed: the error above says why; run again once it is fixed.")
    return "\n".join(lines)


def report_json(report: SyncReport) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    if report.error is not None:
        rows.append({"key": None, "action": "error", "reason": str(report.error), "failed": True})
    done = {id(o.step): o for o in report.outcomes}
    for step in report.steps:
        outcome = done.get(id(step))
        when = step.target.at if step.target and step.target.at else step.send_at
        rows.append(
            {
                "key": step.key,
                "source": str(step.source) if step.source else None,
                "action": step.action,
                "reason": step.reason,
                "target": step.target.state if step.target else None,
                "send_at": when.isoformat() if when else None,
                "remote_id": (
                    outcome.remote_id
                    if outcome and outcome.remote_id
                    else step.remote.id
                    if step.remote
                    else None
                ),
                "result": outcome.result if outcome else None,
                "notes": outcome.notes if outcome else [],
                "failed": bool(outcome and outcome.failed),
                "attention": step.attention or bool(outcome and outcome.attention),
            }
        )
    for path, error in report.broken:
        rows.append(
            {
                "key": issue_name(path),
                "source": str(path),
                "action": "error",
                "reason": str(error),
                "failed": True,
            }
        )
    return rows


def report_findings(report: SyncReport) -> list[Finding]:
    """What in a sync deserves a person's attention, as findings (annotations in Actions)."""
    found: list[Finding] = list(report.held)
    for step in report.steps:
        if step.source is None:
            continue
        if step.action in ("past", "sent-changed"):
            found.append(
                Finding(
                    step.source,
                    None,
                    f"sync-{step.action}",
                    "warning",
                    f"{step.key}: {step.reason}",
                )
            )
        elif step.attention:
            found.append(
                Finding(
                    step.source, None, f"sync-{step.action}", "error", f"{step.key}: {step.reason}"
                )
            )
    for outcome in report.outcomes:
        source = outcome.step.source or Path(outcome.step.key)
        if outcome.failed:
            found.append(Finding(source, None, "sync-failed", "error", outcome.result))
        for note in outcome.notes:
            found.append(Finding(source, None, "sync-converged", "error", note))
    for path, error in report.broken:
        found.append(Finding(path, getattr(error, "line", None), "issue", "error", str(error)))
    return found
