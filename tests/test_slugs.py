"""Slugs stay apart: a file name in any script gives a readable ASCII slug of its own, and two
issues with one slug are an error in build, check, archive and the preview alike, naming both
files (sync refuses them too: tests/test_sync.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mailer.core.config import load_settings
from mailer.issue.load import load_issue, slug_from_name, slug_of
from mailer.preview.pages import PreviewSite

ISSUE = "---\ntitle: {title}\ndate: 2026-01-0{day}\n{more}---\nHello.\n"


def write(folder: Path, name: str, title: str, day: int = 4, more: str = "") -> Path:
    path = folder / name
    path.write_text(ISSUE.format(title=title, day=day, more=more), encoding="utf-8")
    return path


def mailer(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailer", *args], capture_output=True, text=True, cwd=cwd
    )


def test_names_in_other_scripts_give_distinct_readable_slugs(tmp_path):
    assert slug_from_name("2027-01-04-周报") == "2027-01-04-ZhouBao"
    assert slug_from_name("2027-01-04-月报") == "2027-01-04-YueBao"
    assert slug_from_name("2027-01-04-café-notes") == "2027-01-04-cafe-notes"
    assert slug_from_name("2027-01-04-Спорт") == "2027-01-04-Sport"
    assert slug_from_name("2024-05-03 spring!") == "2024-05-03-spring"  # ASCII as before
    assert slug_from_name("???") == "issue"
    path = write(tmp_path, "2027-01-04-周报.md", "A")
    assert load_issue(path, load_settings(None, env={}, cwd=tmp_path)).slug == slug_of(path)


def test_slug_of_reads_the_front_matter_only_when_it_names_a_slug(tmp_path):
    assert slug_of(write(tmp_path, "a.md", "A", more="slug: chosen\n")) == "chosen"
    assert slug_of(write(tmp_path, "b.md", "B")) == "b"
    assert slug_of(write(tmp_path, "c.md", "C", more="slug: [not, text]\n")) is None
    assert slug_of(tmp_path / "missing.md") is None


def newsletter(tmp_path: Path) -> Path:
    (tmp_path / "newsletter.toml").write_text(
        '[newsletter]\nname = "T"\nurl = "https://t.example"\n'
    )
    issues = tmp_path / "issues"
    issues.mkdir()
    write(issues, "first.md", "First", day=4, more="slug: same\n")
    write(issues, "second.md", "Second", day=5, more="slug: same\n")
    write(issues, "2027-01-06-周报.md", "Weekly", day=6)
    write(issues, "2027-01-06-月报.md", "Monthly", day=6)
    return issues


def test_one_slug_twice_is_an_error_everywhere_naming_both_files(tmp_path):
    issues = newsletter(tmp_path)
    for command in (["build"], ["check"], ["archive"]):
        run = mailer(*command, cwd=tmp_path)
        said = run.stdout + run.stderr
        assert run.returncode == 1, (command, said)
        assert "Traceback" not in said
        for other in ("first", "second"):  # each file's error names the other
            assert f"'same', as {issues / other}.md does" in said, (command, said)
    built = sorted(p.name for p in (tmp_path / "build").glob("*.html"))
    assert built == ["2027-01-06-周报.html", "2027-01-06-月报.html"]  # the others still built
    pages = {p.parent.name for p in (tmp_path / "site").rglob("index.html")}
    assert {"2027-01-06-ZhouBao", "2027-01-06-YueBao"} <= pages and "same" not in pages


def test_the_preview_shows_a_slug_clash_as_each_issues_error(tmp_path):
    issues = newsletter(tmp_path)
    site = PreviewSite([issues], lambda: load_settings(tmp_path / "newsletter.toml", env={}))
    site.refresh()
    for this, other in (("first", "second"), ("second", "first")):
        entry = site.entries[this]
        assert entry.rendered is None and f"as {issues / other}.md does" in entry.error
    assert site.entries["2027-01-06-周报"].rendered is not None
    write(issues, "second.md", "Second", day=5, more="slug: second\n")  # fixed: both show again
    site.refresh()
    assert site.entries["first"].rendered is not None and site.entries["second"].rendered


def test_the_cheap_slug_is_the_loaded_slug_on_every_real_issue():
    """slug_of skips parsing when the front matter names no slug: held to load_issue over the
    shared corpus (when it is beside us) and our own samples and fixtures."""
    from conftest import CORPUS, ROOT
    from mailer.core.errors import MailerError

    paths = sorted(CORPUS.rglob("*.m*d*")) if CORPUS.is_dir() else []
    paths += sorted([*(ROOT / "issues").glob("*.md"), *(ROOT / "tests/fixtures").rglob("*.md")])
    settings = load_settings(None, env={}, cwd=ROOT)
    compared = 0
    for path in paths:
        try:
            expected = load_issue(path, settings).slug
        except MailerError:
            continue
        assert slug_of(path) == expected, path
        compared += 1
    assert compared > (300 if CORPUS.is_dir() else 5)
