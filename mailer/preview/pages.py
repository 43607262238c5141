"""What ``mailer preview`` shows: every issue rendered with its findings, kept fresh.

A watcher polls modification times (cheap, and no extra dependency): the files edited lately
on every poll, all of them once a second. Only what changed is rendered again; a change to a
template or to newsletter.toml renders everything again. The server is in
``mailer/preview/server.py``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from mailer.checks.process import process
from mailer.core.config import Settings
from mailer.core.errors import IssueError, MailerError
from mailer.core.finding import count
from mailer.core.limits import GMAIL_CLIP_BYTES
from mailer.issue import batch
from mailer.issue.load import ISSUE_SUFFIXES, bundle_index, issue_name
from mailer.render.emulation import CLIENTS
from mailer.render.pipeline import Rendered
from mailer.render.templating import render_template


@dataclass
class Entry:
    """One issue file as the preview knows it: its rendering, or why it has none."""

    source: Path
    mtime: int
    rendered: Rendered | None = None
    error: str = ""
    took_ms: float = 0.0
    # the other files its rendering read (pictures, linked issues) and their times then
    depends: tuple[tuple[Path, int], ...] = ()

    @property
    def name(self) -> str:
        return issue_name(self.source)


HOT_FILES = 8  # the files edited last, watched closely
FULL_SCAN = 1.0  # seconds between looks at everything
# from this many issues at once, the build's worker pool renders them: its processes start
# fresh (the server's threads rule out forking), ~0.5 s, which 188 issues do not repay (0.63 s
# one by one, 0.75 s pooled) and 1,880 do (7.6 s → 4.3 s; bench/preview_idle.py)
POOL_FROM = 400


class PreviewSite:
    """The rendered issues, kept fresh; `version` goes up on every change."""

    def __init__(
        self, paths: list[Path], load_settings: Callable[[], Settings], *, render_now: bool = True
    ) -> None:
        """With `render_now` false the first rendering is left to `watch`, so the server
        answers at once however many issues there are (pages say "rendering" meanwhile)."""
        self.paths = paths
        self.load_settings = load_settings
        self.settings = load_settings()
        self.entries: dict[str, Entry] = {}  # what the pages show: _renders, slug clashes refused
        self._renders: dict[str, Entry] = {}
        self.version = 0
        self.changed = threading.Condition()
        self.setup_error = ""
        self._watched: dict[Path, int] = {}
        self._scanned: dict[str, int] = {}
        self._hot: list[str] = []  # the files edited last: looked at on every poll
        self.ready = threading.Event()  # set once every issue was rendered the first time
        if render_now:
            self.refresh()

    # -- what is watched ---------------------------------------------------------------------------

    def scan(self) -> dict[str, int]:
        """Every issue file's path with its modification time, in one directory pass. Plain
        strings, no Path objects: an idle poll of 1,880 issues stays a few milliseconds."""
        found: dict[str, int] = {}
        for path in self.paths:
            if path.is_dir():
                with os.scandir(path) as entries:
                    for item in entries:
                        # endswith on the tuple: the cheapest test of the name, made first
                        if item.name.endswith(ISSUE_SUFFIXES) and item.is_file():
                            found[item.path] = _entry_mtime(item)
                        elif not item.name.startswith(".") and item.is_dir():
                            # a page bundle: <slug>/index.md (load.bundle_index)
                            index = bundle_index(Path(item.path))
                            if index is not None:
                                found[str(index)] = _mtime(index)
            elif path.exists():
                found[str(path)] = _mtime(path)
        return found

    def layout_files(self) -> list[Path]:
        """Files whose change affects every issue: templates and newsletter.toml."""
        files = [p for d in self.settings.template_dirs for p in d.rglob("*") if p.is_file()]
        if self.settings.config_path is not None:
            files.append(self.settings.config_path)
        return files

    def refresh(self) -> bool:
        """Re-render what changed since the last look; True if anything did."""
        changed_layout = False
        for path in self.layout_files():
            mtime = _mtime(path)
            if self._watched.get(path) != mtime:
                changed_layout = changed_layout or path in self._watched
                self._watched[path] = mtime
        if changed_layout:
            try:
                self.settings = self.load_settings()
                self.setup_error = ""
            except MailerError as exc:
                self.setup_error = str(exc)
        found = self.scan()
        stale = {e.name for e in self._renders.values() if _changed(e.depends)}
        if found == self._scanned and not changed_layout and not stale:
            return False  # the common case, while the editor reads: compared in one go
        newly = [n for n, m in found.items() if self._scanned.get(n) != m]
        if not self._scanned:  # first look: the newest files are the likely next edits
            newly = sorted(found, key=found.__getitem__)[-HOT_FILES:]
        self._hot = list(dict.fromkeys([*self._hot, *newly]))[-HOT_FILES:]
        self._scanned = found
        kept = {k: v for k, v in self._renders.items() if str(v.source) in found}
        changed = changed_layout or len(kept) != len(self._renders)
        self._renders = kept
        todo = []
        for name in sorted(found):
            source, mtime = Path(name), found[name]
            entry = self._renders.get(issue_name(source))
            if entry is None or entry.mtime != mtime or changed_layout or entry.name in stale:
                todo.append((source, mtime))
        for entry in self.render_all(todo):
            self._renders[entry.name] = entry
            changed = True
        if changed:
            self.entries = refuse_slug_clashes(self._renders)
        if changed or not self.ready.is_set():
            with self.changed:
                self.version += 1
                self.ready.set()
                self.changed.notify_all()
        return changed

    def render_all(self, todo: list[tuple[Path, int]]) -> list[Entry]:
        """Entries for these files: one by one for a few (a save), in the build's worker pool
        for many (the first look at a large archive, a template change)."""
        if len(todo) < POOL_FROM:
            return [self.render(source, mtime) for source, mtime in todo]
        outcomes = batch.run(preview_one, [source for source, _ in todo], self.settings)
        return [
            _entry(source, mtime, outcome, outcome.value.render_ms if outcome.value else 0.0)
            for (source, mtime), outcome in zip(todo, outcomes, strict=True)
        ]

    def render(self, source: Path, mtime: int) -> Entry:
        started = time.perf_counter()
        outcome = batch.attempt(preview_one, source, self.settings)
        return _entry(source, mtime, outcome, (time.perf_counter() - started) * 1000)

    def hot_changed(self) -> bool:
        """Whether a file edited lately changed again: a few stat calls, not a whole scan."""
        return any(_mtime(name) != self._scanned.get(name) for name in self._hot)

    def watch(
        self, stop: threading.Event, interval: float = 0.1, full_scan_every: float = FULL_SCAN
    ) -> None:
        """Look for changes until stopped; nothing an editor saves ends the watching.

        Every `interval`, the files edited last (a save there repaints at once); every
        `full_scan_every` seconds, all files, templates and settings (a new issue, or the
        first edit of an old one, shows within that time). Polling everything every 20 ms
        took 41% of a core idle at 188 issues and 97% at 1,880."""
        last_full = time.monotonic()
        if not self.ready.is_set():
            try:
                self.refresh()
            except Exception as exc:
                self.setup_error = f"the preview could not render the issues ({exc!r})"
                self.ready.set()
        while not stop.wait(interval):
            try:
                if time.monotonic() - last_full >= full_scan_every or self.hot_changed():
                    last_full = time.monotonic()
                    self.refresh()
            except Exception as exc:  # a folder removed meanwhile, a file half-written...
                self.setup_error = f"the preview could not look for changes ({exc!r})"

    def wait_for_change(self, seen: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.version != seen, timeout)
            return self.version

    # -- pages -----------------------------------------------------------------------------------

    def ordered(self) -> list[Entry]:
        def key(entry: Entry) -> tuple[int, str, str]:
            if entry.rendered is None:
                return (0, "", entry.name)  # broken issues first: they need attention
            return (1, entry.rendered.issue.send_at.isoformat(), entry.name)

        ok = sorted((e for e in self.entries.values() if e.rendered), key=key, reverse=True)
        return [e for e in self.entries.values() if not e.rendered] + ok

    def index_page(self) -> str:
        return render_template(
            self.settings.template_dirs,
            "preview_index.html.j2",
            entries=self.ordered(),
            settings=self.settings,
            site=self,
            count=count,
            clip=GMAIL_CLIP_BYTES,
        )

    def issue_page(self, entry: Entry) -> str:
        return render_template(
            self.settings.template_dirs,
            "preview_issue.html.j2",
            entry=entry,
            settings=self.settings,
            site=self,
            count=count,
            clip=GMAIL_CLIP_BYTES,
            clients=CLIENTS,
        )


def refuse_slug_clashes(entries: dict[str, Entry]) -> dict[str, Entry]:
    """The entries, with each issue that shares its slug with another shown as an error naming
    the other, as build, check and archive refuse it (its rendering is kept for when the clash
    is gone)."""
    by_slug: dict[str, list[Entry]] = {}
    for entry in entries.values():
        if entry.rendered is not None:
            by_slug.setdefault(entry.rendered.issue.slug, []).append(entry)
    shown = dict(entries)
    for slug, same in by_slug.items():
        for entry in same if len(same) > 1 else ():
            others = [other.source for other in same if other is not entry]
            error = f"{entry.source}: {batch.slug_clash(slug, others)}"
            shown[entry.name] = Entry(entry.source, entry.mtime, None, error, entry.took_ms)
    return shown


def preview_one(source: Path, settings: Settings) -> Rendered:
    """One issue as the preview shows it: rendered, with the gate's findings, without the parsed
    body (the pages do not need it, and from a worker it is most of what would travel back). A
    bug in mailer becomes that issue's error on its page: the server keeps going."""
    try:
        rendered = process(source, settings)
    except MailerError:
        raise
    except Exception as exc:
        raise IssueError(
            source, f"mailer could not render this issue ({exc!r}); please report it"
        ) from None
    return replace(rendered, document=None)


def _entry(source: Path, mtime: int, outcome: batch.Outcome[Rendered], took_ms: float) -> Entry:
    depends = outcome.value.depends if outcome.value else ()
    seen = tuple((path, _mtime(path)) for path in depends)
    return Entry(source, mtime, outcome.value, str(outcome.error or ""), took_ms, seen)


def _changed(depends: tuple[tuple[Path, int], ...]) -> bool:
    """Whether a picture or a linked issue an entry's rendering read changed (or came, or went)."""
    return any(_mtime(path) != seen for path, seen in depends)


def _mtime(path: Path | str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def _entry_mtime(item: os.DirEntry[str]) -> int:
    try:
        return item.stat().st_mtime_ns
    except OSError:  # removed between listing and looking
        return -1
