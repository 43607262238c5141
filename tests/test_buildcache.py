"""A build remembers: what did not change is neither rendered nor written again — and what
the shortcut gives is exactly what the long way gives."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import SAMPLE
from mailer import buildcache
from mailer.build import build_issues
from mailer.config import load_settings

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
        if path.suffix == ".json":  # the report says how long its render took
            ours, theirs = json.loads(kept.read_text()), json.loads(path.read_text())
            ours.pop("render_ms"), theirs.pop("render_ms")
            assert ours == theirs, path.name
        else:
            assert kept.read_bytes() == path.read_bytes(), path.name


def rebuilt(newsletter: Path, change) -> set[str]:
    """The issues whose outputs were written again after `change`."""
    build(newsletter)
    before = stamps(newsletter / "build")
    change()
    build(newsletter)
    after = stamps(newsletter / "build")
    return {Path(name).stem for name in after if after[name] != before.get(name)}


def test_an_edited_issue_is_the_only_one_built_again(newsletter):
    issue = newsletter / "issues" / "2026-11-13-metrics.md"
    assert rebuilt(newsletter, lambda: issue.write_text(issue.read_text() + "\nMore.\n")) == {
        "2026-11-13-metrics"
    }


@pytest.mark.parametrize(
    "what", ["settings", "template", "output-edited", "output-deleted", "record", "code"]
)
def test_every_input_and_every_output_counts(newsletter, what, monkeypatch):
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
            monkeypatch.setattr(buildcache, "code_fingerprint", lambda: "another version")

    expected = {"2026-11-27-hiring"} if what.startswith("output") else everything
    assert rebuilt(newsletter, change) == expected


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
    run("--fresh")
    assert all(stamps(newsletter / "build")[n] != t for n, t in before.items())


def test_without_newsletter_toml_nothing_is_remembered(tmp_path, monkeypatch):
    """No folder to keep the records in: every build renders, and no stray .mailer/ appears."""
    shutil.copytree(SAMPLE / "issues", tmp_path / "issues")
    monkeypatch.chdir(tmp_path)
    settings = load_settings(None, env={}, cwd=tmp_path)
    assert settings.root is None
    list(build_issues([tmp_path / "issues"], settings, tmp_path / "build"))
    before = stamps(tmp_path / "build")
    list(build_issues([tmp_path / "issues"], settings, tmp_path / "build"))
    assert all(stamps(tmp_path / "build")[n] != t for n, t in before.items())
    assert not (tmp_path / ".mailer").exists()
