"""What `mailer preview` costs while nobody types, at archive sizes of 188 and 1,880 issues.

Usage: python bench/preview_idle.py [--sizes 188,1880] [--seconds 5]

For each size: copies of the reference issues in a temp folder; the time until the preview
answers its first request, and until every issue is rendered; the CPU of one full look for
changes; and the CPU the whole preview process uses while idle, at its own poll interval.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "research-computing-teams"


def archive_of(size: int, folder: Path) -> None:
    sources = sorted(CORPUS.glob("*.md"))
    for n in range(size):
        source = sources[n % len(sources)]
        shutil.copy(source, folder / f"{n:05d}-{source.name}")


def main() -> None:
    from mailer.core.config import Settings
    from mailer.preview.pages import PreviewSite
    from mailer.preview.server import PreviewServer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="188,1880")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    print(
        f"{'issues':>7} {'first answer (s)':>17} {'all rendered (s)':>17} "
        f"{'full scan (ms)':>15} {'idle CPU':>9}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        folder = Path(tempfile.mkdtemp(prefix="mailer-idle-"))
        try:
            archive_of(size, folder)
            started = time.perf_counter()
            site = PreviewSite([folder], Settings, render_now=False)  # as `mailer preview` does
            with PreviewServer(site, 0) as server:
                with urllib.request.urlopen(server.url, timeout=60) as reply:
                    reply.read()
                first = time.perf_counter() - started
                site.ready.wait()
                ready = time.perf_counter() - started
                passes = []
                for _ in range(20):
                    cpu = time.thread_time()
                    site.refresh()
                    passes.append((time.thread_time() - cpu) * 1000)
                time.sleep(1)
                cpu = time.process_time()  # the whole process: server and watcher, idling
                time.sleep(args.seconds)
                idle = (time.process_time() - cpu) / args.seconds
            print(
                f"{size:>7} {first:>17.2f} {ready:>17.2f} "
                f"{statistics.median(passes):>15.2f} {idle:>8.1%}"
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
