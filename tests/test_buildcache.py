"""A build remembers: what did not change is neither rendered nor written again — and what
the shortcut gives is exactly what the long way gives."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import SAMPLE
from mailer.build import cache as buildcache
from mailer.build import issues as build_module
from mailer.build import records
from mailer.build.issues import build_issues
from mailer.core.atomic import write_record
from mailer.core.config import load_settings

BIN = Path(sys.executable).parent


@pytest.fixture
def newsletter(tmp_path) -> Path:
    shutil.copytree(SAMPLE / "issues", tmp_path / "issues")
    shutil.copy(SAMPLE / "newsletter.toml", tmp_path / "newsletter.toml")
    return tmp_path


def build(folder: Path, out: str = "build", fresh: bool = False):
    settings = load_settings(folder / "newsletter.toml", env={})
    return list(build_issues([folder / "issues"], settings, folder / out, fresh=fresh))


def stamps(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.iterdir())}


def test_a_second_build_reports_the_same_and_touches_nothing(newsletter):
    first = build(newsletter)
    written = stamps(newsletter / "build")
    second = build(newsletter)
    assert stamps(newsletter / "build") == written  # nothing rendered, nothing rewritten
    assert second == first  # the same subjects, sizes and findings, read from the record
    assert len(list((newsletter / ".mailer" / "build").glob("*.json"))) == len(first)


def test_the_remembered_outputs_are_the_bytes_a_fresh_build_writes(newsletter):
    build(newsletter)
    build(newsletter)  # from the records
    fresh = build(newsletter, out="fresh", fresh=True)
    assert fresh and all(b.error is None for b in fresh)
    for path in sorted((newsletter / "fresh").iterdir()):
        kept = newsletter / "build" / path.name
        assert kept.read_bytes() == path.read_bytes(), path.name


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """The names of the issues the build renders from here on (kept or written after)."""
    seen: list[str] = []
    real = build_module.process
    monkeypatch.setattr(
        build_module, "process", lambda path, s: seen.append(path.stem) or real(path, s)
    )
    return seen


def rebuilt(newsletter: Path, change, renders: list[str]) -> set[str]:
    """The issues rendered again after `change` (their outputs may still be the same bytes)."""
    build(newsletter)
    change()
    renders.clear()
    build(newsletter)
    return set(renders)


def test_an_edited_issue_is_the_only_one_built_again(newsletter, renders):
    issue = newsletter / "issues" / "2026-11-13-metrics.md"
    edit = lambda: issue.write_text(issue.read_text() + "\nMore.\n")  # noqa: E731
    assert rebuilt(newsletter, edit, renders) == {"2026-11-13-metrics"}


@pytest.mark.parametrize(
    "what", ["settings", "template", "output-edited", "output-deleted", "record", "code"]
)
def test_every_input_and_every_output_counts(newsletter, what, monkeypatch, renders):
    everything = {p.stem for p in (newsletter / "issues").glob("*.md")}

    def change():
        if what == "settings":
            config = newsletter / "newsletter.toml"
            config.write_text(config.read_text().replace('"Lab Notes"', '"Lab Notes 2"'))
        elif what == "template":
            (newsletter / "templates").mkdir()
            (newsletter / "templates" / "footer.txt.j2").write_text("Changed footer\n")
        elif what == "output-edited":
            page = newsletter / "build" / "2026-11-27-hiring.html"
            page.write_text(page.read_text() + "<!-- mine -->")
        elif what == "output-deleted":
            (newsletter / "build" / "2026-11-27-hiring.eml").unlink()
        elif what == "record":
            for record in (newsletter / ".mailer" / "build").glob("*.json"):
                record.write_text("{not json")
        elif what == "code":  # an upgraded library, or an edited checkout of mailer
            monkeypatch.setattr(records, "code_fingerprint", lambda: "another version")

    expected = {"2026-11-27-hiring"} if what.startswith("output") else everything
    assert rebuilt(newsletter, change, renders) == expected


def test_a_send_time_passing_is_checked_again(newsletter):
    soon = datetime.now(UTC) + timedelta(hours=1)
    (newsletter / "issues" / "soon.md").write_text(
        f"---\ntitle: Soon\nsubtitle: S\ndate: {soon.date()}\n"
        f"send_at: {soon.isoformat()}\n---\nHi\n"
    )
    settings = load_settings(newsletter / "newsletter.toml", env={})
    [built] = [b for b in build(newsletter) if b.source.stem == "soon"]
    assert "schedule-past" not in {f.rule for f in built.findings}
    source, out = newsletter / "issues" / "soon.md", newsletter / "build"
    key = buildcache.build_key(source, settings, out)
    assert buildcache.recall(key, source, settings, out, datetime.now(UTC)) is not None
    later = soon + timedelta(minutes=5)  # the send time has passed: the finding may differ
    assert buildcache.recall(key, source, settings, out, later) is None
    much_later = soon + buildcache.RECENT + timedelta(minutes=5)
    assert buildcache.recall(key, source, settings, out, much_later) is None


def test_a_build_without_a_writable_cache_still_builds(newsletter):
    (newsletter / ".mailer").write_text("a file where the folder would go")
    first = build(newsletter)
    assert first and all(b.error is None for b in first)
    assert build(newsletter) == first


def test_the_cli_builds_only_what_changed(newsletter):
    def run(*args: str) -> str:
        result = subprocess.run(
            [str(BIN / "mailer"), "build", *args],
            cwd=newsletter,
            capture_output=True,
            text=True,
            env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(newsletter)},
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    run()
    before = stamps(newsletter / "build")
    run()
    assert stamps(newsletter / "build") == before
    # a change the record cannot see (same size, same time): only --fresh renders it away
    page = newsletter / "build" / "2026-11-13-metrics.html"
    good, stat = page.read_bytes(), page.stat()
    page.write_bytes(good.replace(b"<body", b"<BODY", 1))
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    run()
    assert b"<BODY" in page.read_bytes()
    run("--fresh")
    assert page.read_bytes() == good
    after = stamps(newsletter / "build")
    assert {n for n in before if after[n] != before[n]} == {page.name}  # the rest: same bytes


def test_without_newsletter_toml_nothing_is_remembered(tmp_path, monkeypatch, renders):
    """No folder to keep the records in: every build renders, and no stray .mailer/ appears."""
    shutil.copytree(SAMPLE / "issues", tmp_path / "issues")
    monkeypatch.chdir(tmp_path)
    settings = load_settings(None, env={}, cwd=tmp_path)
    assert settings.root is None
    list(build_issues([tmp_path / "issues"], settings, tmp_path / "build"))
    renders.clear()
    list(build_issues([tmp_path / "issues"], settings, tmp_path / "build"))
    assert sorted(renders) == sorted(p.stem for p in (tmp_path / "issues").glob("*.md"))
    assert not (tmp_path / ".mailer").exists()


def test_a_half_written_record_is_a_miss_never_a_wrong_answer(newsletter):
    """Records are written in place (atomic.write_record): whatever a reader or a crash can
    catch of one — empty, or any beginning of it — must read as no record at all."""
    build(newsletter)
    settings = load_settings(newsletter / "newsletter.toml", env={})
    source, out = newsletter / "issues" / "2026-11-13-metrics.md", newsletter / "build"
    key = buildcache.build_key(source, settings, out)
    assert key is not None
    [record] = [
        p
        for p in (newsletter / ".mailer" / "build").glob("*.json")
        if json.loads(p.read_text())["key"] == key
    ]
    whole = record.read_bytes()
    now = datetime.now(UTC)
    assert buildcache.recall(key, source, settings, out, now) is not None
    for end in range(len(whole)):
        record.write_bytes(whole[:end])
        assert buildcache.recall(key, source, settings, out, now) is None, end
    write_record(record, whole)  # and written again in place, it is whole
    assert buildcache.recall(key, source, settings, out, now) is not None


def test_a_record_that_is_a_link_is_never_written_through(newsletter):
    """A repository could ship .mailer/ with a link where a record goes: the build must not
    overwrite the file it points to (it only loses the record)."""
    build(newsletter)
    target = newsletter / "precious.txt"
    target.write_text("keep me\n")
    records = sorted((newsletter / ".mailer" / "build").glob("*.json"))
    for record in records:
        record.unlink()
        record.symlink_to(target)
    fresh = build(newsletter, fresh=True)
    assert fresh and all(b.error is None for b in fresh)
    assert target.read_text() == "keep me\n"
    assert all(record.is_symlink() for record in records)
