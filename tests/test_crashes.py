"""What a crash, a hostile folder or a cache file that is not a file does to the files mailer
writes: every issue's outputs all from one build (or seen as torn, and written whole by the
next run), no temporary file left behind, no write outside its folder, no hang."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SAMPLE
from mailer.build.output import consistent
from mailer.checks.process import process

MARK = "Version marker "


def newsletter(tmp_path: Path, count: int) -> Path:
    """A newsletter folder of `count` issues made from the sample ones, all already sent."""
    root = tmp_path / "news"
    (root / "issues").mkdir(parents=True)
    shutil.copy(SAMPLE / "newsletter.toml", root / "newsletter.toml")
    samples = sorted((SAMPLE / "issues").glob("*.md"))
    for n in range(count):
        text = samples[n % len(samples)].read_text()
        day = f"2020-{n // 28 + 1:02d}-{n % 28 + 1:02d}"
        text = re.sub(r"^date: .*$", f"date: {day}", text, count=1, flags=re.M)
        (root / "issues" / f"{day}-issue-{n}.md").write_text(text + f"\n{MARK}0\n")
    return root


def set_version(root: Path, version: int) -> None:
    for path in (root / "issues").glob("*.md"):
        text = path.read_text()
        path.write_text(text[: text.rindex(MARK)] + f"{MARK}{version}\n")


def start(root: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "mailer", *args],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its workers too: kill -9 of the whole command
    )


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailer", *args], cwd=root, capture_output=True, text=True
    )


def temps(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


def timed(root: Path, *args: str) -> float:
    started = time.perf_counter()
    assert run(root, *args).returncode == 0
    return time.perf_counter() - started


@pytest.mark.parametrize("command", ["build", "archive"])
def test_kill_9_at_30_random_moments_never_mixes_an_issues_files(tmp_path, command):
    root = newsletter(tmp_path, 60)
    out = root / ("build" if command == "build" else "site")
    args = (command, "issues", "--fresh") if command == "build" else (command, "issues")
    whole = timed(root, *args)
    rng = random.Random(30)
    torn_seen = 0
    for version in range(1, 31):
        set_version(root, version)
        process = start(root, *args)
        time.sleep(rng.uniform(0, whole * 1.2))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        for html in sorted(out.glob("*.html") if command == "build" else out.rglob("index.html")):
            text = html.read_text()
            assert text.rstrip().endswith("</html>"), f"half a file: {html}"
            if command == "build":
                name = html.stem
                if consistent(out, name):
                    versions = {
                        (out / f"{name}{s}").read_text().count(f"{MARK}{version}") > 0
                        for s in (".html", ".txt")
                    }
                    assert len(versions) == 1, f"{name}: a set whose hashes agree mixes builds"
                else:
                    torn_seen += 1  # a reader that checks sees it torn; the next run mends it
    assert run(root, *args).returncode == 0  # the next, whole run
    assert temps(out) == [], temps(out)[:5]
    if command == "build":
        names = [p.stem for p in out.glob("*.html")]
        assert len(names) == 60 and all(consistent(out, name) for name in names)
        report = json.loads((out / f"{names[0]}.json").read_text())
        assert set(report["sha256"]) == {".html", ".txt", ".eml"}
    print(f"{command}: {torn_seen} torn sets seen in 30 kills, all mended by the next run")


def test_a_torn_set_is_seen_and_the_next_build_mends_it(tmp_path):
    root = newsletter(tmp_path, 1)
    assert run(root, "build", "issues").returncode == 0
    name = next((root / "build").glob("*.html")).stem
    assert consistent(root / "build", name)
    (root / "build" / f"{name}.txt").write_text("from another build\n")
    assert not consistent(root / "build", name)
    assert run(root, "build", "issues").returncode == 0
    assert consistent(root / "build", name)


def test_only_a_dead_writers_temporary_files_are_removed(tmp_path):
    from mailer.core.atomic import remove_stale_temps

    sleeper = subprocess.Popen(["sleep", "30"])
    dead = subprocess.Popen(["true"])
    dead.wait()
    try:
        alive = tmp_path / f".a.html.{sleeper.pid}.abcd1234.tmp"
        stale = tmp_path / f".a.html.{dead.pid}.abcd1234.tmp"
        mine = tmp_path / f".a.html.{os.getpid()}.abcd1234.tmp"
        other = tmp_path / "notes.tmp"
        for path in (alive, stale, mine, other):
            path.write_text("x")
        assert remove_stale_temps(tmp_path) == 2
        assert alive.exists() and other.exists() and not stale.exists() and not mine.exists()
    finally:
        sleeper.kill()


# -- paths that stay inside --------------------------------------------------------------


def test_archive_refuses_a_page_folder_that_links_outside(tmp_path):
    root = newsletter(tmp_path, 2)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "site").mkdir()
    (root / "site" / "issues").symlink_to(elsewhere)
    result = run(root, "archive", "issues", "-o", "site")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "leads outside its folder through a symbolic link" in result.stderr
    assert list(elsewhere.iterdir()) == []


def test_init_refuses_a_github_folder_that_links_outside(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / ".github").symlink_to(elsewhere)
    result = run(tmp_path, "init", "news")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "leads outside its folder" in result.stderr and "nothing was kept" in result.stderr
    assert list(elsewhere.iterdir()) == [] and not (tmp_path / "news" / "newsletter.toml").exists()


# -- cache files that are not files ------------------------------------------------------


def cache_files(root: Path) -> list[Path]:
    return sorted((root / ".mailer").rglob("*.json"))


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "folder"])
def test_a_cache_file_that_is_not_a_file_is_a_miss_not_a_hang(tmp_path, kind):
    from mailer.build import gatecache
    from mailer.core.config import load_settings

    root = newsletter(tmp_path, 2)
    assert run(root, "build", "issues").returncode == 0
    records = cache_files(root)
    assert len(records) == 2  # the build's records
    settings = load_settings(root / "newsletter.toml", env={})
    source = next((root / "issues").glob("*.md"))
    key = gatecache.gate_key(source, settings)
    assert key is not None
    gatecache.remember_errors(key, source, settings, [], process(source, settings))
    gate = [p for p in cache_files(root) if p not in records]
    remembered = gatecache.recall_errors(key, source, settings)
    assert len(gate) == 1 and remembered is not None and remembered.errors == ()
    links = root / ".mailer" / "links.json"
    for path in [*records, *gate, links]:
        path.unlink(missing_ok=True)
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "dev-zero":
            path.symlink_to("/dev/zero")
        else:
            path.mkdir()
    for args in (("build", "issues"), ("check", "issues")):
        result = subprocess.run(
            [sys.executable, "-m", "mailer", *args],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
    assert gatecache.recall_errors(key, source, settings) is None  # a miss, at once
    gatecache.remember_errors(key, source, settings, [], process(source, settings))  # no hang
    from datetime import UTC, datetime, timedelta

    from mailer.linkcheck import cache

    now = datetime.now(UTC)
    assert cache.load(settings, timedelta(days=1), now) == {}  # check --links reads it so


def test_a_links_cache_with_times_without_a_zone_is_asked_again(tmp_path):
    from datetime import UTC, datetime, timedelta

    from mailer.core.config import load_settings
    from mailer.linkcheck import cache

    (tmp_path / "newsletter.toml").write_text("")
    (tmp_path / ".mailer").mkdir()
    (tmp_path / ".mailer" / "links.json").write_text(
        json.dumps({"good": {"https://a.example/": "2026-12-01T10:00:00"}})
    )
    settings = load_settings(tmp_path / "newsletter.toml", env={})
    now = datetime(2026, 12, 2, tzinfo=UTC)
    assert cache.load(settings, timedelta(days=7), now) == {}


def test_a_cache_folder_that_links_outside_is_not_written_through(tmp_path):
    root = newsletter(tmp_path, 2)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / ".mailer").symlink_to(elsewhere)
    result = run(root, "build", "issues")
    assert result.returncode == 0, result.stderr
    assert list(elsewhere.rglob("*.json")) == []  # a cache not kept only costs speed
    from mailer.build import gatecache
    from mailer.core.config import load_settings

    settings = load_settings(root / "newsletter.toml", env={})
    source = next((root / "issues").glob("*.md"))
    key = gatecache.gate_key(source, settings)
    assert key is not None
    gatecache.remember_errors(key, source, settings, [], process(source, settings))
    assert list(elsewhere.rglob("*")) == []
