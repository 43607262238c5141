"""Links as a browser reading the archive page would follow them: a sibling issue file (or a
page bundle) becomes that issue's archive address, other relative links resolve against the
issue's own page, and `check` says when a linked issue file is not there. Page bundles
(``<slug>/index.md``) are issues named by their folder."""

from __future__ import annotations

import re
from pathlib import Path

from mailer.checks.process import process
from mailer.core.config import load_settings
from mailer.issue.load import find_issues

SITE = "https://news.example.org"


def newsletter(tmp_path: Path) -> Path:
    (tmp_path / "newsletter.toml").write_text(f'[newsletter]\nname = "T"\nurl = "{SITE}"\n')
    issues = tmp_path / "issues"
    (issues / "2026-12-01-earlier").mkdir(parents=True)
    (issues / "2026-12-01-earlier" / "index.md").write_text("---\ntitle: Earlier\n---\nA bundle.\n")
    (issues / "2027-01-04-intro.md").write_text("---\ntitle: Intro\nslug: hello\n---\nHi.\n")
    (issues / "2027-01-11-next.md").write_text(
        "---\ntitle: Next\n---\n"
        "[last week](2027-01-04-intro.md#top), [bundle](2026-12-01-earlier/), "
        "[its file](2026-12-01-earlier/index.md), [chart](chart.png), [up](../other/), "
        "[root](/about), [gone](gone.md), [web](https://example.org/a.md)\n"
    )
    return issues


def test_links_resolve_as_the_archive_page_reads_them(tmp_path):
    issues = newsletter(tmp_path)
    settings = load_settings(tmp_path / "newsletter.toml", env={})
    rendered = process(issues / "2027-01-11-next.md", settings)
    body = rendered.body_html
    expected = [
        f"{SITE}/issues/hello/#top",  # the sibling's own slug, not its file name
        f"{SITE}/issues/2026-12-01-earlier/",
        f"{SITE}/issues/2026-12-01-earlier/",
        f"{SITE}/issues/2027-01-11-next/chart.png",
        f"{SITE}/issues/other/",
        f"{SITE}/about",
        f"{SITE}/issues/2027-01-11-next/gone.md",
        "https://example.org/a.md",
    ]
    assert re.findall(r'href="([^"]*)"', body) == expected
    for address in expected:  # the text part reads them the same way
        assert address in rendered.text
    broken = [f for f in rendered.findings if f.rule == "link-broken"]
    assert [f.message.split(" names")[0] for f in broken] == ["link 'gone.md'"]


def test_a_page_bundle_is_an_issue_named_by_its_folder(tmp_path):
    issues = newsletter(tmp_path)
    bundle = issues / "2026-12-01-earlier" / "index.md"
    assert bundle in find_issues([issues])
    settings = load_settings(tmp_path / "newsletter.toml", env={})
    issue = process(bundle, settings).issue
    assert (issue.slug, issue.name, issue.date.isoformat()) == (
        "2026-12-01-earlier",
        "2026-12-01-earlier",
        "2026-12-01",
    )


def test_without_url_relative_links_stay_and_check_says_why(tmp_path):
    issues = newsletter(tmp_path)
    (tmp_path / "newsletter.toml").write_text('[newsletter]\nname = "T"\n')
    settings = load_settings(tmp_path / "newsletter.toml", env={})
    rendered = process(issues / "2027-01-11-next.md", settings)
    assert 'href="2027-01-04-intro.md#top"' in rendered.body_html
    assert any("set newsletter.url" in f.message for f in rendered.findings)
