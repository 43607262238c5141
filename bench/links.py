"""`mailer check --links` over every link of the 188 reference issues, cold and then warm.

Usage: python bench/links.py [--seed 7]

The issues are copied to a temp folder with every web address rewritten to a local server:
each original host becomes its own loopback address (127.x.y.z, so the per-host limit applies
as it would on the web) and each address gets a seeded random answer — mostly 200, some 404,
301, 302 to the home page, 500 and slow answers — after a seeded delay of 20–250 ms.
Reports the cold run's time with the real concurrency and a warm run from the cache, with the
requests made; then, on the first 10 issues, concurrent beside one at a time (the alternative:
a loop of requests).
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import re
import shutil
import socket
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "research-computing-teams"
ADDRESS = re.compile(r"https?://([A-Za-z0-9.-]+)(?::\d+)?")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, seed: int) -> None:
        super().__init__(("0.0.0.0", 0), Answer)
        self.seed = seed
        self.requests: Counter[str] = Counter()
        self.lock = threading.Lock()

    def verify_request(self, request: socket.socket, client_address: tuple[str, int]) -> bool:
        return client_address[0].startswith("127.")  # loopback only, whatever is bound

    def handle_error(self, request: object, client_address: object) -> None:
        pass


class Answer(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self.answer()

    def do_GET(self) -> None:
        self.answer()

    def answer(self) -> None:
        host = self.headers.get("Host", "").rsplit(":", 1)[0]  # the same answers on any port
        if self.path == "/__requests":
            body = str(sum(self.server.requests.values())).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        with self.server.lock:
            self.server.requests[f"{host}{self.path}"] += 1
        chance = random.Random(f"{self.server.seed}{host}{self.path}")
        time.sleep(chance.uniform(0.02, 0.25))
        roll = chance.random()
        if self.path in ("/", "/moved-here") or roll < 0.84:
            status, location = 200, ""
        elif roll < 0.89:
            status, location = 404, ""
        elif roll < 0.92:
            status, location = 301, "/moved-here"
        elif roll < 0.94:
            status, location = 302, "/"
        elif roll < 0.97:
            status, location = 500, ""
        else:
            time.sleep(3)  # longer than the bench's timeout
            status, location = 200, ""
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


def serve(seed: int, ports: multiprocessing.Queue[int]) -> None:
    server = Server(seed)
    ports.put(server.server_address[1])
    server.serve_forever(0.05)


def rewrite(corpus: Path, folder: Path, port: int) -> int:
    hosts: dict[str, str] = {}

    def local(match: re.Match[str]) -> str:
        n = hosts.setdefault(match[1].lower(), str(len(hosts) + 1))
        index = int(n)
        return (
            f"http://127.{index // 62500 % 250 + 1}.{index // 250 % 250}.{index % 250 + 1}:{port}"
        )

    (folder / "issues").mkdir(parents=True)
    for source in sorted(corpus.glob("*.md")):
        text = source.read_text(encoding="utf-8")
        (folder / "issues" / source.name).write_text(ADDRESS.sub(local, text), encoding="utf-8")
    (folder / "newsletter.toml").write_text('[newsletter]\nname = "Bench"\n', encoding="utf-8")
    return len(hosts)


def main() -> None:
    from mailer import linkcheck
    from mailer.core.config import load_settings
    from mailer.linkcheck import check_links

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args()
    # the server in a process of its own: it must not take CPU from the client it measures
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    process = multiprocessing.Process(target=serve, args=(args.seed, ports), daemon=True)
    process.start()
    port = ports.get(timeout=30)

    def requests_made() -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/__requests", timeout=10) as reply:
            return int(reply.read())

    folder = Path(tempfile.mkdtemp(prefix="mailer-links-"))
    try:
        hosts = rewrite(CORPUS, folder, port)
        settings = load_settings(folder / "newsletter.toml", env={})
        issues = [folder / "issues"]

        def run(label: str, **options: object) -> None:
            before = requests_made()
            cpu = time.process_time()
            report = check_links(issues, settings, timeout=args.timeout, budget=900, **options)
            cpu = time.process_time() - cpu
            made = requests_made() - before - 1
            rules = Counter(f.rule for f in report.findings)
            print(
                f"{label:<34} {report.seconds:6.1f} s ({cpu:5.1f} s CPU)  "
                f"{report.addresses} addresses, "
                f"{report.asked} asked, {report.remembered} from the cache, {made} requests; "
                f"findings {dict(sorted(rules.items()))}"
            )

        print(f"{len(list(CORPUS.glob('*.md')))} issues, {hosts} hosts, seed {args.seed}")
        run("cold, concurrent (24, 2 per host)")
        run("warm, from the cache")
        # the alternative, a loop of one request at a time, on the first 10 issues (all 188
        # would take many minutes), beside the concurrent run on the same issues
        issues[:] = sorted((folder / "issues").glob("*.md"))[:10]
        run("10 issues, concurrent", use_cache=False)
        saved = linkcheck.CONCURRENCY
        linkcheck.CONCURRENCY = 1
        try:
            run("10 issues, one at a time", use_cache=False)
        finally:
            linkcheck.CONCURRENCY = saved
    finally:
        process.terminate()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
