"""Hostile settings in their thousands: newsletter.toml files and environment values, each
through one command (build, check, archive, sync --dry-run, status, test-send).

Usage: python bench/fuzz_settings.py [COUNT] [--seed N] [--seconds S]   (default: 3000, seed 1)

Each run is a forked child (tests/fuzzing_settings.py) against the four providers' fakes on
127.0.0.1: exit 0, 1 or 2 is fine; a traceback, a crash (a signal) or a hang (the alarm) is not,
and is printed with its file and environment so it can become a test.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", nargs="?", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=20, help="per run, before it is a hang")
    args = parser.parse_args()
    from fuzzing_settings import fuzz

    folder = Path(tempfile.mkdtemp(prefix="mailer-fuzz-settings-"))
    started = time.perf_counter()
    tally, bad = fuzz(args.seed, args.count, folder, args.seconds)
    print(f"seed {args.seed}: {tally.line()} ({time.perf_counter() - started:.0f} s)")
    for toml, env, command, stderr in bad:
        shown = {k: v for k, v in env.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
        print(f"--- mailer {' '.join(command)}  env={shown}\n{toml}{stderr[-1500:]}")
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
