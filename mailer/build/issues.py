"""``mailer build``'s library half: render many issues, write each one's outputs, keep going."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mailer.build import cache as buildcache
from mailer.build.output import SUFFIXES, make_dir, write_outputs
from mailer.checks.process import process
from mailer.core.atomic import remove_stale_temps
from mailer.core.config import Settings
from mailer.core.errors import MailerError, OutputError
from mailer.core.finding import Finding
from mailer.issue import batch
from mailer.issue.load import issue_name


@dataclass(frozen=True)
class Built:
    """One issue's outcome: its files, size and findings, or the error that stopped it.

    Deliberately small: it crosses from the worker processes back to the parent.
    """

    source: Path
    files: tuple[Path, ...] = ()
    subject: str = ""
    html_bytes: int = 0
    findings: tuple[Finding, ...] = ()
    error: MailerError | None = None


def build_one(source: Path, settings: Settings, out_dir: Path, fresh: bool = False) -> Built:
    """Render and write one issue (a batch task: it may run in a worker process) — unless the
    outputs on disk are already exactly what it would write (``mailer.build.cache``)."""
    now = datetime.now(UTC)
    key = buildcache.build_key(source, settings, out_dir)
    if key is not None and not fresh:
        known = buildcache.recall(key, source, settings, out_dir, now)
        if known is not None:
            kept = tuple(out_dir / f"{issue_name(source)}{suffix}" for suffix in SUFFIXES)
            return Built(source, kept, known.subject, known.html_bytes, known.findings)
    rendered = process(source, settings)
    files = write_outputs(rendered, settings, out_dir)
    built = Built(
        source,
        tuple(files),
        rendered.subject,
        len(rendered.html.encode("utf-8")),
        rendered.findings,
    )
    if key is not None:
        report = buildcache.Remembered(
            built.subject, built.html_bytes, built.findings, rendered.depends
        )
        buildcache.remember(key, source, settings, out_dir, report, rendered.issue.send_at, now)
    return built


def build_issues(
    paths: list[Path],
    settings: Settings,
    out_dir: Path,
    *,
    workers: int | None = None,
    fresh: bool = False,
) -> Iterator[Built]:
    """Render and write every issue under `paths`; a bad issue is reported, the rest still built.

    Results come in source order; many issues render in several processes (``mailer.issue.batch``).
    Raises MailerError only for what stops the whole build: no issues, or no output folder.
    """
    unique, repeated = batch.sources(paths)
    make_dir(out_dir)
    remove_stale_temps(out_dir)  # before any worker writes: what killed builds left
    for outcome in repeated:
        yield Built(outcome.source, error=outcome.error)
    names: dict[str, Path] = {}
    mine: list[Path] = []
    clashes: list[Built] = []
    for source in unique:
        first = names.setdefault(issue_name(source), source)
        if first == source:
            mine.append(source)
        else:
            clashes.append(
                Built(
                    source,
                    error=OutputError(
                        source,
                        f"has the same name as {first}; both would be written to "
                        f"{out_dir / issue_name(source)}.html",
                    ),
                )
            )
    for outcome in batch.run(build_one, mine, settings, out_dir, fresh, workers=workers):
        yield (
            outcome.value
            if outcome.value is not None
            else Built(outcome.source, error=outcome.error)
        )
    yield from clashes
