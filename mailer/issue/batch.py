"""One loop over issues, one error policy: every command that works on many issues uses it.

    find the sources under the paths ─ a file named twice is an error (its other copy too)
    run one task per source          ─ in this process for a few, in worker processes for many
    yield each outcome, in order     ─ a task's MailerError is that issue's outcome, never the
                                       batch's; so is a crash (a native library killing its
                                       process): the pool is rebuilt and each unfinished issue
                                       runs alone, so the crash lands on the issue that caused it

A task is a module-level function ``task(item, settings, *extra) -> T``, where an item is an
issue's path or a small object with a ``source`` path (when each issue needs its own arguments,
as an archive page its neighbours). It runs in worker processes, so it and its arguments must
pickle, and what it returns should be small (it crosses back). Worker processes start by
``fork`` on Linux when no other thread runs (the fastest) and by ``spawn`` elsewhere (macOS,
Windows, or a threaded process such as the preview).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from mailer.core.config import Settings
from mailer.core.errors import IssueError, MailerError
from mailer.issue.load import find_issues, slug_of

T = TypeVar("T")
PARALLEL_FROM = 24  # below this, starting worker processes costs more than it saves
MAX_WORKERS = 4
WINDOW_PER_WORKER = 16  # issues in flight per worker: enough to keep each busy


class Item(Protocol):
    """Work on one issue that carries more than its path."""

    @property
    def source(self) -> Path: ...


def source_of(item: Path | Item) -> Path:
    return item if isinstance(item, Path) else item.source


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """One source's result, or the error that stopped it."""

    source: Path
    value: T | None = None
    error: MailerError | None = None


def sources(paths: list[Path], *, empty_ok: bool = False) -> tuple[list[Path], list[Outcome[Any]]]:
    """The issue files under `paths`, and an error for each file named more than once or that
    shares its slug with another (left out: which one was meant is not for mailer to guess; an
    archive page, a provider's email and a feed entry each need their own slug)."""
    found = find_issues(paths, empty_ok=empty_ok)
    real = {path: path.resolve() for path in found}  # resolving walks every link: once each
    counts = Counter(real[path] for path in found)
    unique = [path for path in found if counts[real[path]] == 1]
    refused: list[Outcome[Any]] = []
    reported: set[Path] = set()
    for path in found:
        if counts[real[path]] > 1 and real[path] not in reported:
            reported.add(real[path])
            refused.append(
                Outcome(path, error=IssueError(path, "is named more than once: name it once"))
            )
    by_slug: dict[str, list[Path]] = {}
    for path in unique:
        slug = slug_of(path)
        if slug is not None:
            by_slug.setdefault(slug, []).append(path)
    clashing = {
        path: (slug, same) for slug, same in by_slug.items() if len(same) > 1 for path in same
    }
    for path, (slug, same) in clashing.items():
        error = IssueError(path, slug_clash(slug, [other for other in same if other != path]))
        refused.append(Outcome(path, error=error))
    return [path for path in unique if path not in clashing], refused


def slug_clash(slug: str, others: list[Path]) -> str:
    """What is said of an issue whose slug another issue has too (build, check, archive and the
    preview alike)."""
    return (
        f"has the slug {slug!r}, as {', '.join(map(str, others))} does: give each its own "
        "'slug:' in its front matter (the slug is its address and its key at the provider)"
    )


def cpu_count() -> int:
    """Cores this process may use (Linux knows its affinity; elsewhere, all of them)."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        try:
            return max(1, len(affinity(0)))
        except OSError:
            pass
    return max(1, os.cpu_count() or 1)


def start_method() -> str:
    """``fork`` where it is safe and available (Linux, no other thread); else ``spawn``."""
    linux = os.name == "posix" and os.uname().sysname == "Linux"
    forkable = linux and "fork" in multiprocessing.get_all_start_methods()
    # forking a process that runs other threads can leave a worker holding a stuck lock
    return "fork" if forkable and threading.active_count() == 1 else "spawn"


def run(
    task: Callable[..., T],
    items: Sequence[Path] | Sequence[Item],
    settings: Settings,
    *extra: Any,
    workers: int | None = None,
) -> Iterator[Outcome[T]]:
    """Run `task` on every item; outcomes in order, errors included."""
    if workers is None:
        workers = min(MAX_WORKERS, cpu_count()) if len(items) >= PARALLEL_FROM else 1
    if workers <= 1 or len(items) < 2:
        for item in items:
            yield attempt(task, item, settings, extra)
        return
    yield from _in_workers(task, items, settings, extra, workers)


def run_paths(
    task: Callable[..., T],
    paths: list[Path],
    settings: Settings,
    *extra: Any,
    empty_ok: bool = False,
) -> Iterator[Outcome[T]]:
    """`run` over the issues under `paths`, files named twice reported first.

    Raises MailerError only for what stops everything: a path that does not exist, a folder
    without issues (unless `empty_ok`: sync, for which no issues is a state to reach)."""
    unique, repeated = sources(paths, empty_ok=empty_ok)
    yield from repeated
    yield from run(task, unique, settings, *extra)


def attempt(
    task: Callable[..., T], item: Path | Item, settings: Settings, extra: tuple[Any, ...] = ()
) -> Outcome[T]:
    """One task on one issue, with the batch's error policy: a MailerError is its outcome."""
    try:
        return Outcome(source_of(item), task(item, settings, *extra))
    except MailerError as exc:
        return Outcome(source_of(item), error=exc)


def _in_workers(
    task: Callable[..., T],
    items: Sequence[Path] | Sequence[Item],
    settings: Settings,
    extra: tuple[Any, ...],
    workers: int,
) -> Iterator[Outcome[T]]:
    context = multiprocessing.get_context(start_method())
    done = 0
    # what the workers inherit is left out of garbage collection: a worker's collections then
    # skip the imported modules' objects instead of touching (and so copying) their memory
    frozen = context.get_start_method() == "fork"
    if frozen:
        gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            # submitted a window at a time: a 20-year archive is never all in flight at once
            window = workers * WINDOW_PER_WORKER
            futures: deque[Future[Outcome[T]]] = deque()
            for item in items:
                futures.append(pool.submit(attempt, task, item, settings, extra))
                if len(futures) >= window:
                    yield futures.popleft().result()
                    done += 1
            while futures:
                yield futures.popleft().result()
                done += 1
    except BrokenProcessPool:
        # a worker died (a crash in native code): each issue not yet yielded runs alone, in a
        # process of its own, so only the one that crashes is reported as crashed
        for item in items[done:]:
            yield _alone(task, item, settings, extra, context)
    finally:
        if frozen:
            gc.unfreeze()


def _alone(
    task: Callable[..., T],
    item: Path | Item,
    settings: Settings,
    extra: tuple[Any, ...],
    context: Any,
) -> Outcome[T]:
    source = source_of(item)
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            return pool.submit(attempt, task, item, settings, extra).result()
    except BrokenProcessPool:
        return Outcome(
            source,
            error=IssueError(
                source,
                "mailer crashed while rendering this issue (a library it uses stopped the "
                "process); the other issues were not affected: please report it with the file",
            ),
        )
