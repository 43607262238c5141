"""``mailer build``'s library half: render many issues, write each one's outputs, keep going."""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from mailer.config import Settings
from mailer.errors import MailerError, OutputError
from mailer.issue import find_issues, load_issue
from mailer.lint import Finding
from mailer.output import make_dir, write_outputs
from mailer.render import Rendered, render_issue


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


def render_path(path: Path, settings: Settings) -> Rendered:
    """Load and render one issue file."""
    return render_issue(load_issue(path, settings), settings)


def build_one(source: Path, settings: Settings, out_dir: Path) -> Built:
    """Render and write one issue; its error, if any, is returned, not raised."""
    try:
        rendered = render_path(source, settings)
        files = write_outputs(rendered, settings, out_dir)
    except MailerError as exc:
        return Built(source, error=exc)
    return Built(
        source,
        tuple(files),
        rendered.subject,
        len(rendered.html.encode("utf-8")),
        rendered.findings,
    )


def build_issues(
    paths: list[Path], settings: Settings, out_dir: Path, *, workers: int | None = None
) -> Iterator[Built]:
    """Render and write every issue under `paths`; a bad issue is reported, the rest still built.

    Results come in source order. Large builds render in several processes (one per core, at
    most four): each issue is independent, and rendering is CPU-bound Python.
    Raises MailerError only for what stops the whole build: no issues, or no output folder.
    """
    sources = find_issues(paths)
    make_dir(out_dir)
    names: dict[str, Path] = {}
    unique: list[Path] = []
    for source in sources:
        first = names.setdefault(source.stem, source)
        if first == source:
            unique.append(source)
    if workers is None:
        workers = min(4, len(os.sched_getaffinity(0))) if len(unique) >= PARALLEL_FROM else 1
    results = _build_all(unique, settings, out_dir, workers)
    for source in sources:
        first = names[source.stem]
        if first != source:
            yield Built(
                source,
                error=OutputError(
                    source,
                    f"has the same name as {first}; both would be written to "
                    f"{out_dir / source.stem}.html",
                ),
            )
        else:
            yield next(results)


PARALLEL_FROM = 24  # below this, starting worker processes costs more than it saves


def _build_all(
    sources: list[Path], settings: Settings, out_dir: Path, workers: int
) -> Iterator[Built]:
    if workers <= 1 or len(sources) < 2:
        for source in sources:
            yield build_one(source, settings, out_dir)
        return
    # the first issue here warms templates and caches, which the forked workers then share
    yield build_one(sources[0], settings, out_dir)
    job = functools.partial(build_one, settings=settings, out_dir=out_dir)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(job, sources[1:], chunksize=max(1, len(sources) // (workers * 8)))
