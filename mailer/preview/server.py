"""``mailer preview``'s server: each issue as subscribers will see it, live.

Threads in one process: the HTTP server, and the site's watcher (``mailer/preview/pages.py``). Open
pages hear about changes over server-sent events. The preview's own script lives only in the
preview's pages: the email itself is served untouched, inside a sandboxed iframe.

Safe by default: it listens on 127.0.0.1 only, serves only rendered issues, the repository's
files they refer to, and its own pages (names are looked up, never joined to a filesystem
path), and refuses requests whose Host is
not this machine (DNS rebinding).
"""

from __future__ import annotations

import json
import mimetypes
import re
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from mailer.issue.sanitize import escape_attribute
from mailer.preview.pages import PreviewSite
from mailer.render.emulation import CLIENTS, emulate
from mailer.render.links import Asset

DEFAULT_PORT = 8040
LINKS_BUDGET = 60.0  # seconds the "Check links" button may take
MAX_POST = 65536  # bytes of a request body: the preview's own requests have none
_FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" '
    'rx="3" fill="#1a5fb4"/><path d="M3 5l5 4 5-4" stroke="#fff" fill="none"/></svg>'
)
_DARK = re.compile(r"@media\s*\(\s*prefers-color-scheme\s*:\s*dark\s*\)")

# the first answer while the issues are first rendered: it asks again each second
_RENDERING = (
    '<!doctype html><html lang="en"><meta charset="utf-8"><meta http-equiv="refresh" content="1">'
    '<title>mailer preview</title><p style="font:16px system-ui;margin:2em">'
    "Rendering the issues… this page shows them as soon as they are ready.</p></html>"
)


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

        def send(
            self, status: int, body: str | bytes, content_type: str, in_our_frames: bool = False
        ) -> None:
            """Answer; no other site may frame a page of the preview (its buttons could be
            clickjacked), and the email itself only the preview's own pages."""
            data = body.encode("utf-8") if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("X-Frame-Options", "SAMEORIGIN" if in_our_frames else "DENY")
            ancestors = "'self'" if in_our_frames else "'none'"
            self.send_header("Content-Security-Policy", f"frame-ancestors {ancestors}")
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

        def do_POST(self) -> None:
            # only the preview's own page may ask: a custom header is something another site's
            # page cannot send here without a CORS preflight, which this server never grants
            declared = self.headers.get("Content-Length") or "0"
            if not declared.isdigit() or int(declared) > MAX_POST:
                self.close_connection = True  # what follows on the connection is unknown
                self.send(400, "Bad request: Content-Length", "text/plain; charset=utf-8")
                return
            if int(declared):
                self.rfile.read(int(declared))
            if (
                self.headers.get("Host", "") not in allowed_hosts
                or self.headers.get("X-Mailer-Preview") != "1"
            ):
                self.send(403, "Forbidden", "text/plain; charset=utf-8")
                return
            match = re.fullmatch(r"/links/([\w.-]+)", unquote(urlsplit(self.path).path))
            entry = site.entries.get(match[1]) if match else None
            if entry is None:
                self.send(404, "No such issue", "text/plain; charset=utf-8")
                return
            self.send(200, json.dumps(links_of(entry.source)), "application/json")

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

    def links_of(source: Path) -> dict[str, Any]:
        """The "Check links" button: `mailer check --links` on the issue on screen."""
        from mailer.linkcheck import check_links

        report = check_links([source], site.settings, budget=LINKS_BUDGET)
        return {
            "addresses": report.addresses,
            "asked": report.asked,
            "remembered": report.remembered,
            "seconds": round(report.seconds, 1),
            "findings": [f.as_dict() for f in report.findings],
        }

    def waiting(h: Handler) -> None:
        h.send(200, _RENDERING, "text/html; charset=utf-8")

    def index(h: Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
        if not site.ready.is_set():
            waiting(h)
            return
        h.send(200, site.index_page(), "text/html; charset=utf-8")

    def issue(h: Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
        if not site.ready.is_set():
            waiting(h)
            return
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
            h.send(200, entry.rendered.text, "text/plain; charset=utf-8", in_our_frames=True)
            return
        html = _served_locally(entry.rendered.html, match[1], entry.rendered.assets)
        client = (query.get("client") or [""])[0]
        if client in CLIENTS:
            html = emulate(html, client)  # labelled an emulation on the page
        if query.get("scheme") == ["dark"]:
            # what a dark-mode mail client does: its dark rules apply
            html = _DARK.sub("@media all", html)
        h.send(200, html, "text/html; charset=utf-8", in_our_frames=True)

    def asset(h: Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
        """A picture or file of the repository that an issue refers to, read from disk: looked
        up among that issue's assets by its published path, never joined to a path."""
        entry = site.entries.get(match[1])
        rendered = entry.rendered if entry is not None else None
        found = (
            next((a for a in rendered.assets if a.site_path == match[2]), None)
            if rendered
            else None
        )
        try:
            data = found.source.read_bytes() if found is not None else None
        except OSError:
            data = None
        if data is None:
            h.send(404, "No such file", "text/plain; charset=utf-8")
            return
        kind = mimetypes.guess_type(match[2])[0] or "application/octet-stream"
        h.send(200, data, kind, in_our_frames=True)

    def favicon(h: Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
        h.send(200, _FAVICON, "image/svg+xml")

    def version(h: Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
        h.send(200, json.dumps({"version": site.version}), "application/json")

    ROUTES: list[tuple[re.Pattern[str], Callable[..., None]]] = [
        (re.compile(r"/"), index),
        (re.compile(r"/issue/([\w.-]+)"), issue),
        (re.compile(r"/raw/([\w.-]+)\.(html|txt)"), raw),
        (re.compile(r"/files/([\w.-]+)/(.+)"), asset),
        (re.compile(r"/version"), version),
        (re.compile(r"/favicon\.ico"), favicon),
    ]
    return Handler


def _served_locally(html: str, name: str, assets: tuple[Asset, ...]) -> str:
    """The email with each of the repository's files at the preview's own address for it, read
    from disk (the published address has nothing until `mailer archive` runs and is deployed)."""
    for asset in assets:
        local = f"/files/{name}/{quote(asset.site_path)}"
        query = urlsplit(asset.address).query
        local += f"?{query}" if query else ""
        html = html.replace(f'"{escape_attribute(asset.address)}"', f'"{escape_attribute(local)}"')
    return html


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
