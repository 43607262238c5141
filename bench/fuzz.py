"""Hostile issue files in their thousands: built, clean errors, tracebacks, crashes, hangs.

Usage: python bench/fuzz.py [COUNT] [--seed N] [--seconds S]   (default: 2500 inputs, seed 1)

Each generated file (tests/fuzzing.py) is built and checked in a forked child process with an
alarm, as `mailer build` would: a MailerError with the file's name is a clean error; any other
exception a traceback; a signal a crash; the alarm a hang. Files that went wrong are kept, and
their paths printed, so each can be turned into a test.
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
    parser.add_argument("count", nargs="?", type=int, default=2500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=20, help="per input, before it is a hang")
    args = parser.parse_args()
    from fuzzing import fuzz

    folder = Path(tempfile.mkdtemp(prefix="mailer-fuzz-"))
    started = time.perf_counter()
    tally, bad = fuzz(args.seed, args.count, folder, args.seconds)
    print(f"seed {args.seed}: {tally.line()} ({time.perf_counter() - started:.0f} s)")
    for path in bad:
        print(f"  kept: {path}")
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
