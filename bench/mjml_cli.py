"""`mailer build` of the 188 reference issues beside the official MJML CLI compiling their MJML.

Usage: python bench/mjml_cli.py [--runs 3] [--mjml-dir /tmp/mailer-bench-mjml]

The MJML CLI (npm package `mjml`, installed with npm into --mjml-dir on first use) compiles
the same documents mailer's layout makes — the email template with each issue's body HTML in
place — and does nothing else (with its defaults, which beautify the HTML). `mailer build
--fresh` does all of it: Markdown, sanitizing, MJML, CSS inlining, the plain-text part, the
checks, and four files per issue. All as whole processes, taking turns; the median of --runs
each. mailer is timed three ways:

    into an empty folder     the first build: every file is new
    again, same folder       everything rendered again; files whose bytes did not change are
                             read back, not written
    in a newsletter folder   beside a newsletter.toml, so the build also keeps its records
                             (.mailer/build/); --fresh, so every issue is rendered
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
MJML_VERSION = "4.15.3"


def mjml_documents(folder: Path) -> int:
    """Each issue's complete MJML, as mailer's layout writes it before compiling."""
    from mailer.core.config import Settings
    from mailer.issue.load import load_issue
    from mailer.issue.markdown import parse_markdown
    from mailer.issue.sanitize import clean_body
    from mailer.render.htmlwriter import markdown_to_html
    from mailer.render.layout import BODY_PLACEHOLDER, layout_context, layout_source

    settings = Settings()
    count = 0
    for source in sorted(CORPUS.glob("*.md")):
        issue = load_issue(source, settings)
        doc = parse_markdown(issue.body, issue.body_line, issue.path)
        body = markdown_to_html(doc, settings.url)
        fragment = clean_body(body.html, body.plain, settings.url)
        mjml = layout_source(settings, layout_context(issue, settings))
        (folder / f"{source.stem}.mjml").write_text(mjml.replace(BODY_PLACEHOLDER, fragment))
        count += 1
    return count


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--mjml-dir", type=Path, default=Path(tempfile.gettempdir()) / "mailer-bench-mjml"
    )
    args = parser.parse_args()
    cli = args.mjml_dir / "node_modules" / ".bin" / "mjml"
    if not cli.exists():
        args.mjml_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--silent", "--no-audit", "--no-fund", f"mjml@{MJML_VERSION}"],
            cwd=args.mjml_dir,
            check=True,
        )
    folder = Path(tempfile.mkdtemp(prefix="mailer-vs-mjml-"))
    try:
        shutil.copytree(CORPUS, folder / "issues")
        (folder / "newsletter.toml").write_text('[newsletter]\nname = "Bench"\n')
        (folder / "plain").mkdir()
        shutil.copytree(CORPUS, folder / "plain" / "issues")
        (folder / "mjml").mkdir()
        (folder / "html").mkdir()
        count = mjml_documents(folder / "mjml")
        documents = sorted(str(p) for p in (folder / "mjml").glob("*.mjml"))
        build = [str(MAILER), "build", "issues", "-o", "out", "--fresh"]
        times: dict[str, list[float]] = {
            "mailer build --fresh, into an empty folder": [],
            "mailer build --fresh, again, same folder": [],
            "mailer build --fresh, in a newsletter folder": [],
            f"mjml {MJML_VERSION} CLI (compile only)": [],
        }
        first, again, newsletter, mjml = times.values()
        timed(build, folder)  # the newsletter folder's first build, untimed
        for n in range(args.runs):
            # a new folder each time, none deleted: on ext4 without a journal (this VM's),
            # files made right after others were deleted cost several times more
            empty = [*build[:4], f"out-{n}", "--fresh"]
            first.append(timed(empty, folder / "plain"))
            again.append(timed(empty, folder / "plain"))
            newsletter.append(timed(build, folder))
            mjml.append(timed([str(cli), *documents, "-o", str(folder / "html")], folder))
        theirs = statistics.median(mjml)
        print(f"{count} issues, median of {args.runs} whole processes:")
        for name, runs in times.items():
            ours = statistics.median(runs)
            ratio = "" if runs is mjml else f"   {theirs / ours:.1f}x faster than MJML"
            print(f"  {name:46} {ours:6.2f} s{ratio}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
