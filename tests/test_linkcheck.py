"""`mailer check --links` against a real HTTP server on 127.0.0.1 that serves every case a
link roundup meets: good, moved, soft 404s, dead, refused HEAD, rate limits, server errors,
slow answers, loops, resets, and a TLS certificate nobody trusts."""

from __future__ import annotations

import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme

from mailer.core.config import load_settings
from mailer.linkcheck import check_links

BIN = Path(sys.executable).parent


class Site(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: Counter[str] = Counter()
        self.lock = threading.Lock()

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hung up (our timeout, our reset): expected here

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: Site
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def answer(self, status: int, headers: dict[str, str] | None = None) -> None:
        body = b"" if self.command == "HEAD" else b"<html>page</html>"
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.route()

    def do_GET(self) -> None:
        self.route()

    def route(self) -> None:
        path = self.path
        with self.server.lock:
            self.server.requests[path] += 1
            seen = self.server.requests[path]
        head = self.command == "HEAD"
        if path in ("/", "/ok", "/new", "/elsewhere", "/login", "/img.png"):
            self.answer(200, {"Set-Cookie": "session=1; Path=/"})
        elif path == "/moved":
            self.answer(301, {"Location": "/new"})
        elif path == "/temporary":
            self.answer(302, {"Location": "/elsewhere"})
        elif path == "/deep/article":
            self.answer(302, {"Location": "/"})
        elif path == "/members":
            self.answer(302, {"Location": "/login"})
        elif path == "/missing":
            self.answer(404)
        elif path == "/gone":
            self.answer(410)
        elif path == "/no-head":
            self.answer(405 if head else 200)
        elif path == "/head-lies":
            self.answer(404 if head else 200)
        elif path == "/busy-once":
            # 429 until it has been asked twice (HEAD, then GET), then fine
            self.answer(429, {"Retry-After": "1"}) if seen <= 2 else self.answer(200)
        elif path == "/busy":
            self.answer(429, {"Retry-After": "1"})
        elif path == "/broken":
            self.answer(500)
        elif path == "/slow":
            time.sleep(3)
            self.answer(200)
        elif path.startswith("/drip"):
            # a byte every 0.2 s, headers and all: no single read ever waits long
            reply = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello"
            try:
                for byte in reply:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
            self.close_connection = True
        elif path in ("/loop-a", "/loop-b"):
            self.answer(302, {"Location": "/loop-b" if path == "/loop-a" else "/loop-a"})
        elif path == "/reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
        else:
            self.answer(404)


@pytest.fixture
def site() -> Iterator[Site]:
    server = Site()
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def untrusted_tls() -> Iterator[str]:
    """An HTTPS server whose certificate comes from a CA that no client trusts."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.requests = Counter()  # type: ignore[attr-defined]
    server.lock = threading.Lock()  # type: ignore[attr-defined]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


GOOD = ["/ok", "/temporary", "/no-head", "/head-lies", "/busy-once", "/img.png"]
BAD = {
    "/moved": ("link-moved", "warning"),
    "/deep/article": ("link-soft-404", "warning"),
    "/members": ("link-soft-404", "warning"),
    "/missing": ("link-dead", "error"),
    "/gone": ("link-dead", "error"),
    "/busy": ("link-rate-limited", "warning"),
    "/broken": ("link-server-error", "warning"),
    "/slow": ("link-timeout", "error"),
    "/loop-a": ("link-redirect-loop", "error"),
    "/reset": ("link-unreachable", "error"),
}


def newsletter(tmp_path: Path, body: str) -> Path:
    (tmp_path / "issues").mkdir(exist_ok=True)
    # the test sites live on 127.0.0.1, which the gate rightly calls local: not here
    (tmp_path / "newsletter.toml").write_text(
        '[newsletter]\nname = "Links"\n[check]\nignore = ["link-local"]\n'
    )
    issue = tmp_path / "issues" / "2030-01-01-links.md"
    issue.write_text(f"---\ntitle: Links\nsubtitle: All of them\ndate: 2030-01-01\n---\n{body}")
    return issue


def test_every_dead_case_is_found_and_no_good_case_reported(tmp_path, site, untrusted_tls):
    lines = [f"- [good {p}]({site.url}{p})" for p in GOOD if p != "/img.png"]
    lines += [f"- [bad {p}]({site.url}{p})" for p in BAD]
    lines += [
        f"- [untrusted]({untrusted_tls}/ok)",
        "- [nowhere](https://no-such-host.invalid/page)",
        f"- [again]({site.url}/missing)",  # the same address twice: asked once, found twice
        "- [mail](mailto:editor@example.org) and [anchor](#top)",
        f"\n![a picture]({site.url}/img.png)\n",
    ]
    issue = newsletter(tmp_path, "\n".join(lines) + "\n")
    settings = load_settings(tmp_path / "newsletter.toml", env={})
    report = check_links([tmp_path / "issues"], settings, timeout=1.0, budget=60)
    found = {(f.message.split(": ", 1)[0], f.rule, f.severity) for f in report.findings}
    expected = {(f"{site.url}{p}", rule, sev) for p, (rule, sev) in BAD.items()}
    expected |= {
        (f"{untrusted_tls}/ok", "link-tls", "error"),
        ("https://no-such-host.invalid/page", "link-dead", "error"),
    }
    assert found == expected
    lines_of_missing = [
        f.line for f in report.findings if f.message.startswith(f"{site.url}/missing")
    ]
    assert len(lines_of_missing) == 2 and all(line and line > 5 for line in lines_of_missing)
    assert all(f.path == issue for f in report.findings)
    assert site.requests["/missing"] <= 2  # HEAD then GET, once for both places
    moved = next(f for f in report.findings if f.rule == "link-moved")
    assert f"{site.url}/new" in moved.message  # the new address, to link there
    assert report.addresses == len(GOOD) + len(BAD) + 2


def test_a_second_run_asks_nothing_about_good_links(tmp_path, site):
    body = "".join(f"- [x]({site.url}{p})\n" for p in ("/ok", "/temporary", "/missing"))
    newsletter(tmp_path, body)
    settings = load_settings(tmp_path / "newsletter.toml", env={})
    first = check_links([tmp_path / "issues"], settings, timeout=2)
    assert first.asked == 3 and [f.rule for f in first.findings] == ["link-dead"]
    asked_before = sum(site.requests.values())
    second = check_links([tmp_path / "issues"], settings, timeout=2)
    assert second.asked == 1 and second.remembered == 2  # only the bad one is asked again
    new = {path: n for path, n in site.requests.items()}
    assert sum(new.values()) - asked_before == 2  # /missing: HEAD, GET
    assert [f.rule for f in second.findings] == ["link-dead"]
    third = check_links([tmp_path / "issues"], settings, timeout=2, use_cache=False)
    assert third.asked == 3


def test_plain_commands_make_no_request(tmp_path, site):
    newsletter(tmp_path, f"[a]({site.url}/ok) ![b]({site.url}/img.png)\n")
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path)}
    for args in (["build"], ["check"], ["archive"], ["check", "--format", "json"]):
        result = subprocess.run(
            [str(BIN / "mailer"), *args], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
    assert sum(site.requests.values()) == 0
    linked = subprocess.run(
        [str(BIN / "mailer"), "check", "--links", "--format", "json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert linked.returncode == 0, linked.stderr
    assert site.requests["/ok"] >= 1 and "2 addresses, 2 asked" in linked.stderr


def test_a_dead_link_fails_the_cli_with_its_file_and_line(tmp_path, site):
    issue = newsletter(tmp_path, f"Intro.\n\n[dead]({site.url}/gone)\n")
    result = subprocess.run(
        [str(BIN / "mailer"), "check", "--links", "--format", "github"],
        cwd=tmp_path,
        env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert f"::error file={issue},line=8,title=link-dead::{site.url}/gone" in result.stdout


def test_since_leaves_older_issues_out(tmp_path, site):
    newsletter(tmp_path, f"[new]({site.url}/missing)\n")
    old = tmp_path / "issues" / "2001-01-01-old.md"
    old.write_text(f"---\ntitle: Old\nsubtitle: S\ndate: 2001-01-01\n---\n[old]({site.url}/gone)\n")
    settings = load_settings(tmp_path / "newsletter.toml", env={})
    everything = check_links([tmp_path / "issues"], settings, timeout=2)
    assert {f.path.name for f in everything.findings} == {old.name, "2030-01-01-links.md"}
    recent = check_links(
        [tmp_path / "issues"], settings, timeout=2, since=date(2020, 1, 1), use_cache=False
    )
    assert {f.path.name for f in recent.findings} == {"2030-01-01-links.md"}
    assert recent.addresses == 1
    result = subprocess.run(
        [str(BIN / "mailer"), "check", "--links", "--since", "soon"],
        cwd=tmp_path,
        env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "2y, 6m, 8w or 30d" in result.stderr


def test_the_run_stops_at_its_budget_and_says_what_it_did_not_check(tmp_path, site):
    newsletter(tmp_path, f"[slow]({site.url}/slow) and [fine]({site.url}/ok)\n")
    settings = load_settings(tmp_path / "newsletter.toml", env={})
    started = time.monotonic()
    report = check_links([tmp_path / "issues"], settings, timeout=10, budget=1.0)
    assert time.monotonic() - started < 3  # not the 3 s the slow page takes
    assert [(f.rule, f.severity) for f in report.findings] == [("link-unchecked", "warning")]
    assert report.findings[0].message.startswith(f"{site.url}/slow")


def test_a_site_that_drips_costs_its_links_the_deadline_and_no_more(tmp_path, site):
    """Three links that answer a byte every 0.2 s (each read is quick: no read timeout fires)
    and a good one on the same site: with a 1 s timeout (1.5 s for a whole answer) the run takes
    a few seconds, not the
    minutes the drips would, and says which links it could not check."""
    drips = " ".join(f"[d{n}]({site.url}/drip{n})" for n in range(3))
    newsletter(tmp_path, f"{drips} and [fine]({site.url}/ok)\n")
    settings = load_settings(tmp_path / "newsletter.toml", env={})
    started = time.monotonic()
    report = check_links([tmp_path / "issues"], settings, timeout=1.0, budget=60)
    took = time.monotonic() - started
    assert took < 6, took  # 3 drips, 2 at a time per site, 1.5 s each (and the good link)
    found = sorted((f.message.split("/")[3][:5], f.rule, f.severity) for f in report.findings)
    assert found == [(f"drip{n}", "link-timeout", "warning") for n in range(3)], found
    assert all("no complete answer within 1.5 s" in f.message for f in report.findings)
