"""mailer shots: pictures of the email in five views with Debian's Chromium, the same pixels
for the same input, and --compare against a Git ref in a real repository."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLE, git
from mailer.core.config import load_settings
from mailer.pictures.drawing import VIEWS, placeholders
from mailer.pictures.shots import parse_views, take_shots


def mailer(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "mailer", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def news(tmp_path: Path) -> Path:
    """The sample newsletter in a Git repository of its own, one commit."""
    root = tmp_path / "news"
    shutil.copytree(SAMPLE, root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "three issues")
    return root


def test_the_same_issues_give_the_same_pixels_in_every_view(news, tmp_path):
    settings = load_settings(news / "newsletter.toml", env={})
    sources = sorted((news / "issues").glob("*.md"))
    first = take_shots(sources, settings, tmp_path / "one", list(VIEWS))
    take_shots(sources, settings, tmp_path / "two", list(VIEWS))
    assert first.failed == [] and len(first.issues) == 3
    pictures = sorted((tmp_path / "one").rglob("*.png"))
    assert len(pictures) == 3 * 5
    for picture in pictures:
        again = tmp_path / "two" / picture.relative_to(tmp_path / "one")
        assert picture.read_bytes() == again.read_bytes(), picture
    metrics = next(i for i in first.issues if i.name == "2026-11-13-metrics")
    sizes = {p.view: (p.width, p.height) for p in metrics.pictures}
    assert sizes["mobile"][0] == 375 and sizes["desktop"][0] == settings.width
    assert sizes["mobile"][1] > sizes["desktop"][1]  # narrower, so taller
    report = json.loads((tmp_path / "one" / "report.json").read_text())
    assert report["issues"][0]["html_bytes"] > 0 and report["issues"][0]["clipped"] is False
    assert "| `2026-11-13-metrics`" in (tmp_path / "one" / "report.md").read_text()


def test_compare_shows_what_changed_in_the_one_issue_edited(news):
    edited = news / "issues" / "2026-11-13-metrics.md"
    text = edited.read_text()
    assert "Last week a reader asked" in text
    edited.write_text(text.replace("Last week a reader asked", "A reader asked me last week"))
    git(news, "commit", "-q", "-am", "reword one paragraph")
    result = mailer("shots", "issues", "--compare", "HEAD~1", "-o", "shots", cwd=news)
    assert result.returncode == 0, result.stderr
    report = json.loads((news / "shots" / "report.json").read_text())
    changed = {i["name"]: max(p["changed"] for p in i["pictures"]) for i in report["issues"]}
    assert changed.pop("2026-11-13-metrics") > 0
    assert changed == {"2026-11-06-first-issue": 0.0, "2026-11-27-hiring": 0.0}
    assert (news / "shots" / "2026-11-13-metrics" / "mobile.diff.png").is_file()
    assert "changed" in (news / "shots" / "report.md").read_text()
    # the temporary worktree is gone again
    listed = subprocess.run(["git", "worktree", "list"], cwd=news, capture_output=True, text=True)
    assert len(listed.stdout.strip().splitlines()) == 1


def test_an_issue_that_is_new_since_the_ref_says_so(news):
    new = news / "issues" / "2026-12-04-new.md"
    new.write_text("---\ntitle: New\nsubtitle: Fresh\ndate: 2026-12-04\n---\nHello.\n")
    result = mailer("shots", str(new), "--views", "mobile", "--compare", "HEAD", cwd=news)
    assert result.returncode == 0, result.stderr
    assert "new: not at the ref" in result.stdout
    assert "| new |" in (news / "shots" / "report.md").read_text()


def test_no_playwright_or_no_chromium_is_one_clear_line(news, tmp_path):
    blocker = tmp_path / "blocker" / "playwright"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('no playwright here')\n")
    missing = mailer("shots", "issues", cwd=news, env={"PYTHONPATH": str(blocker.parent)})
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.strip().splitlines() == [
        "Error: mailer shots needs Playwright: pip install 'newsletter-as-code[shots]' "
        "(and a Chromium: Debian's chromium package, or python -m playwright install chromium)"
    ]
    no_browser = mailer(
        "shots", "issues", cwd=news, env={"MAILER_CHROMIUM": "/nonexistent/chromium"}
    )
    assert no_browser.returncode == 1 and "Traceback" not in no_browser.stderr
    assert len(no_browser.stderr.strip().splitlines()) == 1
    assert "cannot start Chromium (/nonexistent/chromium)" in no_browser.stderr


def test_a_bad_view_or_ref_is_a_clear_error(news):
    bad = mailer("shots", "issues", "--views", "desktop,fax", cwd=news)
    assert bad.returncode == 2 and "unknown view fax" in bad.stderr
    ref = mailer("shots", "issues", "--views", "mobile", "--compare", "no-such-ref", cwd=news)
    assert ref.returncode == 2 and "Traceback" not in ref.stderr
    assert "--compare: no commit 'no-such-ref'" in ref.stderr
    assert parse_views("outlook-desktop,desktop") == ["desktop", "outlook-desktop"]


def test_web_images_become_grey_boxes_of_their_declared_size(make_settings):
    html = (
        '<img src="https://x.example/a.png" width="300" height="120" alt="">'
        '<img alt="" src="https://x.example/b.png" width="584">'
        '<img src="data:image/png;base64,AAAA" alt="">'
    )
    shown, boxes = placeholders(html, make_settings())
    assert boxes == 2 and "x.example" not in shown
    assert "width%3D%22300%22%20height%3D%22120%22" in shown
    assert "width%3D%22584%22%20height%3D%22292%22" in shown  # no height: half the width
    assert "data:image/png;base64,AAAA" in shown
