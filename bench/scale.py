"""`mailer build`, `check` and `archive` as the archive grows: 188, 1,880 (and 18,800) issues.

Usage: python bench/scale.py [--sizes 188,1880,18800]

Copies of the 188 reference issues (each copy its own file name, so its own slug) go into a temp
folder; each command runs as a whole process, as an editor or CI would run it. For each: wall
time, CPU of all its processes (workers included), the peak of the summed memory (RSS) of its
process tree, sampled every 20 ms from /proc, and the time until it first printed anything.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "research-computing-teams"
MAILER = Path(sys.executable).parent / "mailer"
PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(pid: int) -> int:
    """Bytes resident in `pid` and all its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            parent, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
        rss[int(entry.name)] = pages * PAGE
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += rss.get(current, 0)
        todo.extend(children.get(current, []))
    return total


def measure(args: list[str], cwd: Path) -> tuple[float, float, int, float, int]:
    """(wall s, CPU s, peak tree RSS bytes, seconds to first output, exit code)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(MAILER), *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    peak = 0
    first: list[float] = []
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.02):
            peak = max(peak, tree_rss(process.pid))

    def read() -> None:
        assert process.stdout is not None
        if process.stdout.read(1):
            first.append(time.perf_counter() - started)
        process.stdout.read()

    sampler = threading.Thread(target=sample)
    reader = threading.Thread(target=read)
    sampler.start()
    reader.start()
    code = process.wait()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    reader.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, peak, first[0] if first else wall, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="188,1880")
    args = parser.parse_args()
    sources = sorted(CORPUS.glob("*.md"))
    header = f"{'issues':>7} {'command':<9} {'wall s':>7} {'CPU s':>7} {'peak MB':>8}"
    print(f"{header} {'first out s':>12}")
    for size in (int(s) for s in args.sizes.split(",")):
        folder = Path(tempfile.mkdtemp(prefix="mailer-scale-"))
        try:
            (folder / "issues").mkdir()
            (folder / "newsletter.toml").write_text(
                '[newsletter]\nname = "Scale"\nurl = "https://scale.example.org"\n'
            )
            for n in range(size):
                source = sources[n % len(sources)]
                shutil.copy(source, folder / "issues" / f"c{n // len(sources):03d}-{source.name}")
            for name, command in (
                ("build", ["build", "--fresh", "-o", "out"]),
                ("check", ["check"]),
                ("archive", ["archive", "-o", "site"]),
            ):
                wall, cpu, peak, first, code = measure(command, folder)
                note = "" if code in (0, 1) else f"  (exit {code})"
                print(
                    f"{size:>7} {name:<9} {wall:>7.1f} {cpu:>7.1f} {peak / 1e6:>8.0f} "
                    f"{first:>12.1f}{note}",
                    flush=True,
                )
        finally:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
