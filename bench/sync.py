"""Sync request counts and time at 188 issues, per provider, against the test fakes.

Usage: python bench/sync.py [FOLDER] [--latency SECONDS]
       (default: ../shared/corpus/research-computing-teams; latency 0)

Each issue of FOLDER is copied with its send time moved a week into the future and a slug of its
own, so every one is a new issue to schedule. Then, for each provider: the first run (creates),
a run with nothing changed, the same with sync's memory of the gate deleted (so every issue is
rendered, as before that memory existed), and a run after one issue changed. Requests are
counted at the fake server by method; `--latency` adds a round trip to each request (e.g. 0.15
for a realistic network), so the time column shows what a user would wait. A provider that may
write several issues at once (Provider.concurrency) runs again one issue at a time, to compare.

Real issues carry `mailer check` errors (relative links without a `url` setting), so the runs
use --allow-errors: the gate is not what is measured here. The fakes answer with the page sizes
the providers document: Buttondown 100 (its default page), Mailchimp 1000, listmonk 100 (mailer
asks for 100), Kit 500.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]
DEFAULT = ROOT.parent / "shared" / "corpus" / "research-computing-teams"
PAGES = {"buttondown": 100, "mailchimp": 1000, "listmonk": 100, "kit": 500}


def future_copies(source: Path, into: Path) -> int:
    """The issues of `source` as new issues a week ahead, an hour apart, each with a slug."""
    into.mkdir(parents=True)
    start = (datetime.now(UTC) + timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    paths = sorted(p for p in source.iterdir() if p.suffix in (".md", ".markdown"))
    for n, path in enumerate(paths):
        text = path.read_text(encoding="utf-8")
        when = (start + timedelta(hours=n)).isoformat()
        text = re.sub(r"^(---\n)", f"\\1send_at: {when}\nslug: bench-{n:04d}\n", text, count=1)
        (into / f"bench-{n:04d}.md").write_text(text, encoding="utf-8")
    return len(paths)


def run_provider(
    name: str, folder: Path, latency: float, one_at_a_time: bool = False
) -> list[tuple[str, Counter[str], float]]:
    from fakes import FAKES
    from fakes.server import FakeServer

    from conftest import ProviderUnderTest
    from mailer.core.config import load_settings
    from mailer.sync import sync

    fake = FAKES[name](page_size=PAGES[name])
    rows = []
    with FakeServer(fake, latency=latency) as server:
        fake.url, fake.server = server.url, server
        put = ProviderUnderTest(fake, server)

        config = folder.parent / "newsletter.toml"
        config.write_text('[newsletter]\nname = "Bench"\n')

        def one_run(label: str, forget: bool = False) -> None:
            if forget:  # the gate's memory (.mailer/gate) deleted: every issue is rendered
                shutil.rmtree(folder.parent / ".mailer", ignore_errors=True)
            settings = load_settings(
                config, env={}, provider=name, provider_options={name: put.options}
            )
            before = len(server.requests)
            started = time.perf_counter()
            provider = put.provider(lambda **kw: settings)
            if one_at_a_time:
                provider.concurrency = 1  # type: ignore[misc]  # the alternative, side by side
            report = sync([folder], settings, provider, allow_errors=True)
            took = time.perf_counter() - started
            problems = [s.reason for s in report.steps if s.attention] + report.broken
            problems += [o.result for o in report.outcomes if o.failed]
            assert not problems, problems[:3]
            counts = Counter(r.method for r in server.requests[before:])
            rows.append((label, counts, took))

        one_run("first run")
        one_run("nothing changed")
        one_run("same, no memory", forget=True)
        first = sorted(folder.iterdir())[0]
        first.write_text(first.read_text(encoding="utf-8") + "\nOne more line.\n")
        one_run("one issue changed")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--providers", default="buttondown,mailchimp,listmonk,kit")
    args = parser.parse_args()
    if not args.folder.is_dir():
        sys.exit(f"no such folder: {args.folder} (pass a folder of issues)")
    print(
        f"{'provider (at once)':<15} {'run':<18} {'requests':>8}  {'GET':>5} {'POST':>5} "
        f"{'PATCH':>5} {'PUT':>5}  {'seconds':>8}"
    )
    from mailer.providers import PROVIDERS

    for name in args.providers.split(","):
        # a provider that may write several issues at once runs again one at a time
        ways = [False, True] if PROVIDERS[name].concurrency > 1 else [False]
        for one_at_a_time in ways:
            work = Path(tempfile.mkdtemp(prefix="mailer-bench-sync-"))
            label = f"{name} (1)" if one_at_a_time else f"{name} ({PROVIDERS[name].concurrency})"
            try:
                count = future_copies(args.folder, work / "issues")
                rows = run_provider(name, work / "issues", args.latency, one_at_a_time)
                for run, counts, took in rows:
                    print(
                        f"{label:<15} {run:<18} {sum(counts.values()):>8}  {counts['GET']:>5} "
                        f"{counts['POST']:>5} {counts['PATCH']:>5} {counts['PUT']:>5}  "
                        f"{took:>8.2f}"
                    )
            finally:
                shutil.rmtree(work, ignore_errors=True)
    print(f"({count} issues, {args.latency * 1000:.0f} ms added to each request)")


if __name__ == "__main__":
    main()
