"""A real HTTP server on 127.0.0.1, in a thread, that records every request.

Provider fakes are apps: ``app(request) -> Reply | DROP``. DROP closes the connection without
an answer, after the app has done its work: the "committed, then lost the response" case.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


DROP = object()  # close the connection without answering


@dataclass
class Slow:
    """Answer nothing for `seconds`, then close: the client's timeout fires first."""

    seconds: float


App = Callable[[Request], "Reply | object"]


class FakeServer:
    """Serves `app` on a free port of 127.0.0.1 until stopped; `requests` records every call."""

    def __init__(self, app: App, latency: float = 0.0) -> None:
        self.app = app
        self.latency = latency  # per request, outside the lock: concurrent clients interleave
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.statuses: list[int] = []  # the status of every answer, in order
        self.in_flight = 0  # requests being answered now, and the most there ever were at once
        self.peak_in_flight = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out in two writes: without this, Nagle's algorithm and the
            # client's delayed ACK hold every answer back ~40 ms
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _handle(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command,
                    split.path,
                    parse_qs(split.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                with fake.lock:
                    fake.in_flight += 1
                    fake.peak_in_flight = max(fake.peak_in_flight, fake.in_flight)
                try:
                    if fake.latency:
                        time.sleep(fake.latency)
                    with fake.lock:
                        fake.requests.append(request)
                        limit = getattr(fake.app, "simultaneous_limit", None)
                        if limit is not None and fake.in_flight > limit:
                            reply = fake.app.too_many(request)  # type: ignore[attr-defined]
                        else:
                            reply = fake.app(request)
                finally:
                    with fake.lock:
                        fake.in_flight -= 1
                if isinstance(reply, Slow):
                    time.sleep(reply.seconds)
                    self.close_connection = True
                    return
                if reply is DROP:
                    self.close_connection = True
                    return
                assert isinstance(reply, Reply)
                with fake.lock:
                    fake.statuses.append(reply.status)
                data = (
                    b""
                    if reply.body is None
                    else (
                        reply.body
                        if isinstance(reply.body, bytes)
                        else json.dumps(reply.body).encode()
                    )
                )
                self.send_response(reply.status)
                if reply.body is not None and not isinstance(reply.body, bytes):
                    self.send_header("Content-Type", "application/json")
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- a small vocabulary for assertions -----------------------------------------------------

    def calls(self, method: str | None = None, path: str | None = None) -> list[Request]:
        return [
            r
            for r in self.requests
            if (method is None or r.method == method)
            and (
                path is None
                or r.path == path
                or (path.endswith("*") and r.path.startswith(path[:-1]))
            )
        ]

    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.method in ("POST", "PATCH", "PUT", "DELETE")]

    def last_json(self) -> Any:
        return self.requests[-1].json

    def assert_called(self, method: str, path: str, times: int | None = None) -> None:
        found = self.calls(method, path)
        assert found, f"no {method} {path}; got {[(r.method, r.path) for r in self.requests]}"
        if times is not None:
            assert len(found) == times, f"{method} {path} called {len(found)} times, not {times}"
