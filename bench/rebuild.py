"""Building again: `mailer build` over the 188 reference issues when nothing changed, when one
issue changed, and the same with --fresh (every issue rendered, the long way), side by side.

Usage: python bench/rebuild.py [--runs 5]

Each figure is the median wall time of whole `mailer build` processes (start-up included), in a
temp copy of the corpus with a newsletter.toml, so the build keeps its records in .mailer/.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "research-computing-teams"
MAILER = Path(sys.executable).parent / "mailer"


def timed(folder: Path, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run([str(MAILER), "build", *args], cwd=folder, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="mailer-rebuild-"))
    try:
        shutil.copytree(CORPUS, folder / "issues")
        (folder / "newsletter.toml").write_text('[newsletter]\nname = "Bench"\n')
        timed(folder)  # the first build: the records are written
        edited = sorted((folder / "issues").glob("*.md"))[-1]
        original = edited.read_text(encoding="utf-8")
        rows = {"nothing changed": [], "one issue changed": [], "--fresh (all rendered)": []}
        for n in range(args.runs):
            rows["nothing changed"].append(timed(folder))
            edited.write_text(original + f"\nEdit {n}.\n", encoding="utf-8")
            rows["one issue changed"].append(timed(folder))
            rows["--fresh (all rendered)"].append(timed(folder, "--fresh"))
        count = len(list((folder / "issues").glob("*.md")))
        print(f"mailer build, {count} issues, median of {args.runs}:")
        for name, times in rows.items():
            print(f"  {name:<24} {statistics.median(times):6.2f} s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
