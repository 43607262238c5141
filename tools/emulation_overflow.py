"""Build folders of issues and count the emails that overflow in each emulated client.

Usage: python tools/emulation_overflow.py [FOLDER ...] [--width 1000]

Without folders: every folder of issues under ../shared/corpus. Each email is built with
`mailer build`, then drawn in headless Chromium at `--width` px as built, as the Gmail app takes
it and as Outlook for Windows takes it (mailer/render/emulation.py). Every image is served as a
1,600 px wide picture, the worst case for Outlook, which draws an image at its natural size
unless it has a width. Prints, per folder and client, how many emails are wider than the window.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def issue_folders(top: Path) -> list[Path]:
    return sorted({p.parent for p in top.rglob("*.md")} - {top})


def main() -> int:
    from browser import launch, overflow, serve_wide_images  # as the tests launch it
    from playwright.sync_api import sync_playwright

    from mailer.render.emulation import emulate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--width", type=int, default=1000)
    args = parser.parse_args()
    folders = args.folders or issue_folders(ROOT.parent / "shared" / "corpus")
    clients = ("as built", "gmail", "outlook")
    totals = dict.fromkeys(clients, 0)
    emails = 0
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": args.width, "height": 800})
        serve_wide_images(page)
        for number, folder in enumerate(folders):
            out = Path(tmp) / str(number)
            subprocess.run(
                [sys.executable, "-m", "mailer", "build", str(folder), "-o", str(out), "--fresh"],
                check=False,
                capture_output=True,
            )
            started = time.perf_counter()
            built = sorted(out.glob("*.html"))
            emails += len(built)
            wide: dict[str, list[str]] = {client: [] for client in clients}
            for email in built:
                html = email.read_text(encoding="utf-8")
                for client in clients:
                    shown = html if client == "as built" else emulate(html, client)
                    extra = overflow(page, shown)
                    if extra:
                        wide[client].append(f"{email.stem} (+{extra} px)")
            counts = ", ".join(f"{c}: {len(wide[c])}" for c in clients)
            print(
                f"{folder}: {len(built)} emails, overflowing at {args.width} px — {counts} "
                f"({time.perf_counter() - started:.1f} s)"
            )
            for client in clients:
                totals[client] += len(wide[client])
                for name in wide[client][:5]:
                    print(f"  {client}: {name}")
        browser.close()
    summary = ", ".join(f"{c} {totals[c]}" for c in clients)
    print(f"emulation-overflow: {emails} emails at {args.width} px; overflowing: {summary}")
    return 1 if any(totals.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
