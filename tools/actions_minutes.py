"""The GitHub Actions minutes a month that the workflows `mailer init` writes cost a weekly
newsletter, computed from the workflow files themselves.

Usage: python tools/actions_minutes.py [WORKFLOWS_FOLDER]   (default: what `mailer init` writes)

GitHub bills each job of a run by the minute, rounded up (docs.github.com, "About billing for
GitHub Actions"): a job of 20 seconds costs a minute. mailer's jobs take well under a minute
with the pip cache (the scaffolds cache their installs), so each job that runs counts as one
minute. A month is 30 days. A weekly newsletter is 4.35 issues a month, each pushed to the
default branch twice (written, then made ready): 9 pushes that touch issues/. On a scheduled
run with nothing new to do, a job whose `if:` waits on a change (the archive's deploy) does not
run, and is not billed.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

DAYS = 30
PUSHES = 9  # pushes to the default branch that change issues/, a month


def field_count(field: str, low: int, high: int) -> int:
    """How many values a cron field (``*``, ``*/6``, ``1,15``, ``1-5``, ``17``) takes."""
    values: set[int] = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/")
            step = int(step_text)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            start, end = (int(x) for x in part.split("-"))
        else:
            start = end = int(part)
        values.update(range(start, end + 1, step))
    return len(values)


def runs_a_month(cron: str) -> float:
    minute, hour, day, _month, weekday = cron.split()  # every month alike
    per_day = field_count(minute, 0, 59) * field_count(hour, 0, 23)
    if weekday != "*":
        return per_day * field_count(weekday, 0, 6) * DAYS / 7
    if day != "*":
        return per_day * field_count(day, 1, 31)  # those days of each month
    return per_day * DAYS


def minutes(workflow: dict[str, Any]) -> tuple[float, float]:
    """(scheduled, pushed) job-minutes a month of one workflow."""
    on = workflow.get("on") or workflow.get(True) or {}  # YAML 1.1 reads `on:` as True
    jobs = workflow.get("jobs", {})
    quiet_jobs = sum("changed" not in str(job.get("if", "")) for job in jobs.values())
    scheduled = sum(runs_a_month(entry["cron"]) for entry in on.get("schedule") or [])
    pushed = PUSHES if "push" in on else 0
    return scheduled * quiet_jobs, pushed * len(jobs)


def report(folder: Path) -> float:
    total = 0.0
    for path in sorted(folder.glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        workflow = yaml.safe_load(text)
        scheduled, pushed = minutes(workflow)
        total += scheduled + pushed
        print(f"{path.name:>16}: {scheduled:6.0f} scheduled + {pushed:3.0f} on pushes")
    print(f"{'total':>16}: {total:6.0f} minutes a month")
    return total


def scaffolded(into: Path) -> Path:
    """The workflows of a newsletter `mailer init` starts (its default provider)."""
    from datetime import date

    from mailer.core.provider_facts import default_provider
    from mailer.init.repository import start_newsletter

    start_newsletter(
        into / "news", name="Field Notes", provider=default_provider(), today=date.today()
    )
    return into / "news" / ".github" / "workflows"


def main() -> int:
    if len(sys.argv) > 1:
        report(Path(sys.argv[1]))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        report(scaffolded(Path(tmp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
