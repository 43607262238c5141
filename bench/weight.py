"""Bytes per email: what subscribers download, and how close each email is to Gmail's clipping.

Usage: python bench/weight.py [FOLDER] [--against REF]

Builds every issue of FOLDER (default: the 188 issues of the reference weekly in
../shared/corpus/research-computing-teams) with `mailer build`, and reports the HTML's median,
mean and largest size, how much of it is inline styles, the layout around the body, and the
body's text. With --against REF, the same issues are built by that Git revision of mailer too
(a temporary worktree), side by side in one run.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "corpus" / "research-computing-teams"
GMAIL_CLIP = 102 * 1024
_STYLE = re.compile(rb' style="[^"]*"')
_TAG = re.compile(rb"<[^>]+>")
_CONTENT = re.compile(rb'<td class="mailer-content"[^>]*>')


def build(tree: Path, folder: Path, out: Path) -> list[Path]:
    """The folder built by the mailer in `tree`; the HTML files written."""
    subprocess.run(
        [sys.executable, "-P", "-m", "mailer", "build", str(folder), "-o", str(out)],
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        cwd=tempfile.gettempdir(),  # no newsletter.toml of ours: the folder's own settings
        check=False,
        capture_output=True,
    )
    return sorted(out.glob("*.html"))


def report(name: str, files: list[Path]) -> dict[str, float]:
    sizes, styles, texts, shells = [], [], [], []
    for path in files:
        data = path.read_bytes()
        sizes.append(len(data))
        styles.append(sum(len(m) for m in _STYLE.findall(data)))
        body = data[data.find(b"<body") :]
        texts.append(len(_TAG.sub(b"", body)))
        start = _CONTENT.search(data)
        shells.append(start.end() if start else 0)
    row = {
        "median": statistics.median(sizes),
        "mean": statistics.fmean(sizes),
        "max": max(sizes),
        "styles": statistics.median(styles),
        "text": statistics.median(texts),
        "clipped": sum(size > GMAIL_CLIP for size in sizes),
    }
    print(
        f"{name:>12}: {len(files)} emails; HTML median {row['median']:,.0f} B, mean "
        f"{row['mean']:,.0f} B, largest {row['max']:,} B; inline styles (median) "
        f"{row['styles']:,.0f} B, text {row['text']:,.0f} B; over Gmail's 102 KB: "
        f"{row['clipped']}"
    )
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=REFERENCE)
    parser.add_argument("--against", help="a Git revision of mailer to compare with")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        rows = {}
        if args.against:
            other = base / "other"
            subprocess.run(
                [
                    "git",
                    "-C",
                    str(ROOT),
                    "worktree",
                    "add",
                    "-q",
                    "--detach",
                    str(other),
                    args.against,
                ],
                check=True,
            )
            try:
                rows[args.against] = report(
                    args.against, build(other, args.folder.resolve(), base / "out-other")
                )
            finally:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)],
                    check=False,
                )
        rows["this tree"] = report("this tree", build(ROOT, args.folder.resolve(), base / "out"))
        if args.against:
            before, after = rows[args.against]["median"], rows["this tree"]["median"]
            print(f"median: {before:,.0f} → {after:,.0f} B ({(after - before) / before:+.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
