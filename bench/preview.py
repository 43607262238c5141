"""Save-to-repaint latency of `mailer preview`, measured in headless Chromium.

Usage: python bench/preview.py [ISSUE]   (default: a long issue of the reference corpus)

Opens the preview of one real-size issue, then 20 times: writes the file with a new marker
and times until the marker is painted inside the email's iframe. Target: median ≤ 150 ms.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared" / "corpus" / "research-computing-teams" / "0139.md"


def main() -> None:
    from playwright.sync_api import sync_playwright

    from mailer.core.config import Settings
    from mailer.preview.pages import PreviewSite
    from mailer.preview.server import PreviewServer

    sys.path.insert(0, str(ROOT / "tests"))
    from browser import launch  # launched as the tests launch it

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("issue", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    if not args.issue.is_file():
        raise SystemExit(f"{args.issue}: no such issue file")
    folder = Path(tempfile.mkdtemp(prefix="mailer-bench-"))
    source = folder / args.issue.name
    original = args.issue.read_text(encoding="utf-8")
    source.write_text(original, encoding="utf-8")
    head, sep, body = original.partition("\n---\n")  # after the front matter
    site = PreviewSite([folder], Settings)
    latencies: list[float] = []
    with PreviewServer(site, 0) as server, sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server.url + f"issue/{source.stem}")
        page.wait_for_load_state("load")
        for n in range(args.edits):
            marker = f"repaint-marker-{n}-{time.monotonic_ns()}"
            started = time.perf_counter()
            source.write_text(f"{head}{sep}{marker}\n\n{body}", encoding="utf-8")
            page.wait_for_function(
                "m => { const f = document.getElementById('desktop');"
                " return f && f.contentDocument && f.contentDocument.body &&"
                " f.contentDocument.body.innerText.includes(m); }",
                arg=marker,
                polling="raf",
                timeout=10_000,
            )
            latencies.append((time.perf_counter() - started) * 1000)
        browser.close()
    shutil.rmtree(folder)
    size = len(original.encode()) / 1024
    print(f"save-to-repaint, {args.edits} edits of {args.issue.name} ({size:.0f} KB of Markdown):")
    print(
        f"  median {statistics.median(latencies):.0f} ms   min {min(latencies):.0f} ms   "
        f"max {max(latencies):.0f} ms   (target ≤ 150 ms)"
    )


if __name__ == "__main__":
    sys.exit(main())
