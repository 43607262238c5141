"""Inside GitHub Actions (GITHUB_ACTIONS=true), mailer annotates and summarizes by itself.

Findings become workflow annotations on the file and line (check and sync; build leaves them
to check, so none shows twice); build, check and sync append a Markdown summary to the job's
summary page ($GITHUB_STEP_SUMMARY). Outside Actions these do nothing, so no command needs a
flag for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from mailer.core.finding import Finding
from mailer.core.secrets import redact


def in_actions(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get("GITHUB_ACTIONS") == "true"


def annotation(finding: Finding) -> str:
    """One workflow command: GitHub shows it on the file and line of the pull request."""
    props = f"file={_escape_property(str(finding.path))}"
    if finding.line:
        props += f",line={finding.line}"
    props += f",title={_escape_property(finding.rule)}"
    return f"::{finding.severity} {props}::{_escape_data(finding.message)}"


def annotation_lines(findings: Iterable[Finding]) -> str:
    return "\n".join(annotation(f) for f in findings)


# GitHub shows at most 10 error and 10 warning annotations of one step (and drops the rest)
PER_STEP = {"error": 10, "warning": 10}


def annotations_that_fit(findings: Iterable[Finding], first: set[Path] | None = None) -> str:
    """The annotations GitHub will show: errors before warnings, the files in `first` (a pull
    request's own issues) before the others, at most PER_STEP of each; then one notice that
    says how many more the job summary lists."""
    first = first or set()
    ordered = sorted(findings, key=lambda f: (f.severity != "error", Path(f.path) not in first))
    shown: list[Finding] = []
    left = dict(PER_STEP)
    for finding in ordered:
        if left.get(finding.severity, 0) > 0:
            left[finding.severity] -= 1
            shown.append(finding)
    lines = [annotation(f) for f in shown]
    more = len(ordered) - len(shown)
    if more:
        lines.append(
            f"::notice::{more} more finding{'s' if more != 1 else ''} than GitHub shows as "
            "annotations: the job summary lists every one"
        )
    return "\n".join(lines)


def write_summary(markdown: str, env: Mapping[str, str] | None = None) -> None:
    """Append to the job summary, when there is one."""
    env = os.environ if env is None else env
    path = env.get("GITHUB_STEP_SUMMARY")
    if in_actions(env) and path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(redact(markdown).rstrip("\n") + "\n\n")


def table(headers: list[str], rows: Iterable[Iterable[object]]) -> str:
    """A Markdown table; cells are escaped so a | in a subject cannot break it."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        cells = [str(cell).replace("|", "\\|").replace("\n", " ") for cell in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
