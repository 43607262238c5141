"""``mailer preview``: a local server that shows each issue as subscribers will see it, and
re-renders when an issue, a template or newsletter.toml is saved.

Threads in one process: the HTTP server, and a watcher that polls modification times (cheap
for a folder of issues, and it needs no extra dependency). Only what changed is rendered
again; a change to a template or to newsletter.toml renders everything again. Open pages hear
about changes over server-sent events. The preview's own script lives only in the preview's
pages: the email itself is served untouched, inside a sandboxed iframe.

Safe by default: it listens on 127.0.0.1 only, serves only rendered issues and its own pages
(names are looked up, never joined to a filesystem path), and refuses requests whose Host is
not this machine (DNS rebinding).
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from mailer import batch
from mailer.checks import check_rendered
from mailer.config import Settings
from mailer.errors import MailerError
from mailer.finding import count
from mailer.issue import ISSUE_SUFFIXES, load_issue
from mailer.limits import GMAIL_CLIP_BYTES
from mailer.render import Rendered, render_issue
from mailer.templating import render_template

DEFAULT_PORT = 8040
_FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" '
    'rx="3" fill="#1a5fb4"/><path d="M3 5l5 4 5-4" stroke="#fff" fill="none"/></svg>'
)
_DARK = re.compile(r"@media\s*\(\s*prefers-color-scheme\s*:\s*dark\s*\)")


@dataclass
class Entry:
    """One issue file as the preview knows it: its rendering, or why it has none."""

    source: Path
    mtime: int
    rendered: Rendered | None = None
    error: str = ""
    took_ms: float = 0.0

    @property
    def name(self) -> str:
        return self.source.stem


class PreviewSite:
    """The rendered issues, kept fresh; `version` goes up on every change."""

    def __init__(self, paths: list[Path], load_settings: Callable[[], Settings]) -> None:
        self.paths = paths
        self.load_settings = load_settings
        self.settings = load_settings()
        self.entries: dict[str, Entry] = {}
        self.version = 0
        self.changed = threading.Condition()
        self.setup_error = ""
        self._watched: dict[Path, int] = {}
        self.refresh()

    # -- what is watched ---------------------------------------------------------------------------

    def sources(self) -> list[Path]:
        found: list[Path] = []
        for path in self.paths:
            if path.is_dir():
                found.extend(
                    sorted(p for p in path.iterdir() if p.suffix in ISSUE_SUFFIXES and p.is_file())
                )
            elif path.exists():
                found.append(path)
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
        sources = self.sources()
        changed = changed_layout or {s.stem for s in sources} != set(self.entries)
        self.entries = {k: v for k, v in self.entries.items() if v.source in sources}
        for source in sources:
            entry = self.entries.get(source.stem)
            mtime = _mtime(source)
            if entry is None or entry.mtime != mtime or changed_layout:
                self.entries[source.stem] = self.render(source, mtime)
                changed = True
        if changed:
            with self.changed:
                self.version += 1
                self.changed.notify_all()
        return changed

    def render(self, source: Path, mtime: int) -> Entry:
        started = time.perf_counter()
        entry = Entry(source, mtime)
        try:
            outcome = batch.attempt(preview_one, source, self.settings)
            entry.rendered, entry.error = outcome.value, str(outcome.error or "")
        except Exception as exc:  # a bug in mailer: shown on the page, the server keeps going
            entry.error = (
                f"{source}: mailer could not render this issue ({exc!r}); please report it"
            )
        entry.took_ms = (time.perf_counter() - started) * 1000
        return entry

    def watch(self, stop: threading.Event, interval: float = 0.1) -> None:
        """Look for changes until stopped; nothing an editor saves ends the watching."""
        while not stop.wait(interval):
            try:
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
        )


def preview_one(source: Path, settings: Settings) -> Rendered:
    """One issue as the preview shows it: rendered, with the gate's findings."""
    return check_rendered(render_issue(load_issue(source, settings), settings), settings)


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def make_handler(
    site: PreviewSite, port: int, idle_timeout: float = 30.0
) -> type[BaseHTTPRequestHandler]:
    allowed_hosts = {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}

    class Handler(BaseHTTPRequestHandler):
        server_version = "mailer-preview"
        protocol_version = "HTTP/1.1"
        timeout = idle_timeout  # an idle connection does not hold a thread for ever

        def log_message(self, *args: Any) -> None:
            """Quiet: the editor's terminal shows what mailer says, not every request."""

        def send(self, status: int, body: str | bytes, content_type: str) -> None:
            data = body.encode("utf-8") if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.headers.get("Host", "") not in allowed_hosts:
                self.send(
                    403,
                    "Forbidden: this preview answers only to 127.0.0.1 and localhost",
                    "text/plain; charset=utf-8",
                )
                return
            url = urlsplit(self.path)
            path = unquote(url.path)
            query = parse_qs(url.query)
            if path == "/events":
                self.events()
                return
            for route, handler in ROUTES:
                match = route.fullmatch(path)
                if match:
                    handler(self, match, query)
                    return
            self.send(404, "Not found", "text/plain; charset=utf-8")

        def events(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            seen = -1
            try:
                while True:
                    version = site.wait_for_change(seen, timeout=15)
                    message = f"data: {version}\n\n" if version != seen else ": keep-alive\n\n"
                    seen = version
                    self.wfile.write(message.encode())
                    self.wfile.flush()
            except OSError:
                return  # the page went away

    def index(h: Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
        h.send(200, site.index_page(), "text/html; charset=utf-8")

    def issue(h: Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
        entry = site.entries.get(match[1])
        if entry is None:
            h.send(404, "No such issue", "text/plain; charset=utf-8")
            return
        h.send(200, site.issue_page(entry), "text/html; charset=utf-8")

    def raw(h: Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
        entry = site.entries.get(match[1])
        if entry is None or entry.rendered is None:
            h.send(404, "No such issue", "text/plain; charset=utf-8")
            return
        if match[2] == "txt":
            h.send(200, entry.rendered.text, "text/plain; charset=utf-8")
            return
        html = entry.rendered.html
        if query.get("scheme") == ["dark"]:
            # what a dark-mode mail client does: its dark rules apply
            html = _DARK.sub("@media all", html)
        h.send(200, html, "text/html; charset=utf-8")

    def favicon(h: Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
        h.send(200, _FAVICON, "image/svg+xml")

    def version(h: Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
        h.send(200, json.dumps({"version": site.version}), "application/json")

    ROUTES: list[tuple[re.Pattern[str], Callable[..., None]]] = [
        (re.compile(r"/"), index),
        (re.compile(r"/issue/([\w.-]+)"), issue),
        (re.compile(r"/raw/([\w.-]+)\.(html|txt)"), raw),
        (re.compile(r"/version"), version),
        (re.compile(r"/favicon\.ico"), favicon),
    ]
    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that closed a page or a connection is not an error worth a traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class PreviewServer:
    """The server and its watcher; `serve()` blocks, `start()`/`stop()` are for tests."""

    def __init__(
        self,
        site: PreviewSite,
        port: int = DEFAULT_PORT,
        interval: float = 0.02,
        idle_timeout: float = 30.0,
    ) -> None:
        self.site = site
        self.httpd = _Server(("127.0.0.1", port), make_handler(site, port, idle_timeout))
        self.httpd.daemon_threads = True
        if port == 0:  # the real port is known only now: rebuild the handler for it
            real = self.httpd.server_address[1]
            self.httpd.RequestHandlerClass = make_handler(site, real, idle_timeout)
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/"
        self.stop_event = threading.Event()
        self.watcher = threading.Thread(
            target=site.watch, args=(self.stop_event, interval), daemon=True
        )

    def start(self) -> PreviewServer:
        self.watcher.start()
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def serve(self) -> None:
        self.watcher.start()
        try:
            self.httpd.serve_forever(0.2)
        finally:
            self.stop()

    def stop(self) -> None:
        self.stop_event.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> PreviewServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
