"""mailer archive: pages, feed and sitemap from the same issues as the emails."""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLE
from mailer.core.config import load_settings
from mailer.issue.load import load_issue
from mailer.render.pipeline import render_issue
from mailer.site.archive import absolute, build_archive

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ATOM = "{http://www.w3.org/2005/Atom}"
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


@pytest.fixture
def site(tmp_path, repo_settings):
    issues = tmp_path / "issues"
    shutil.copytree(SAMPLE / "issues", issues)
    (issues / "2026-10-30-wip.md").write_text(
        "---\ntitle: Work in progress\ndate: 2026-10-30\ndraft: true\n---\nNot yet.\n"
    )
    out = tmp_path / "site"
    result = build_archive([issues], repo_settings, out, now=NOW)
    return result, out


def email(page):
    """The email of an archive page's issue, as subscribers got it."""
    settings = load_settings(SAMPLE / "newsletter.toml", env={})
    return render_issue(load_issue(page.source, settings), settings)


def hrefs(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="([^"#][^"]*)"', html)


def test_published_issues_only_newest_first(site):
    result, out = site
    assert [p.slug for p in result.pages] == ["2026-11-13-metrics", "2026-11-06-first-issue"]
    assert {s.name: why for s, why in result.skipped} == {
        "2026-10-30-wip.md": "draft",
        "2026-11-27-hiring.md": "not sent yet",
    }
    index = (out / "index.html").read_text()
    assert index.index("Measuring what matters") < index.index("Why we write things down")
    assert "Work in progress" not in index and "Hiring" not in index


def test_an_archive_with_nothing_sent_yet_says_why_and_when(tmp_path, repo_settings):
    """Day one: the first issue is a draft or dated ahead; the page says so, not just "0"."""
    issues = tmp_path / "issues"
    issues.mkdir()
    (issues / "2026-12-01-wip.md").write_text(
        "---\ntitle: Draft one\ndate: 2026-12-01\ndraft: true\n---\nNot yet.\n"
    )
    build_archive([issues], repo_settings, tmp_path / "a", now=NOW)
    text = (tmp_path / "a" / "index.html").read_text()
    assert "No issues have been sent yet. 1 draft is waiting" in text
    for day in ("2026-12-11", "2026-12-04"):
        (issues / f"{day}-next.md").write_text(f"---\ntitle: Next {day}\ndate: {day}\n---\nHi\n")
    result = build_archive([issues], repo_settings, tmp_path / "b", now=NOW)
    assert result.pages == [] and result.next_due is not None
    text = (tmp_path / "b" / "index.html").read_text()
    assert "The first, “Next 2026-12-04”, is due on" in text and "December 4, 2026" in text
    assert "newest first" not in text


def test_issue_pages_are_where_the_email_says_and_link_each_other(site, repo_settings):
    result, out = site
    newest, _ = result.pages
    page = (out / newest.path / "index.html").read_text()
    assert absolute(repo_settings, newest.path) == repo_settings.archive_url("2026-11-13-metrics")
    assert f'href="{repo_settings.archive_url("2026-11-13-metrics")}"' in email(newest).html
    assert 'rel="prev" href="../../issues/2026-11-06-first-issue/"' in page
    assert 'rel="next"' not in page
    assert "Usage metrics that funders believe" not in page.split("<body>")[1]  # no preheader
    # the heading's id was taken by the <a id="tools"> just above it: the first keeps it
    assert '<a id="tools" name="tools"></a>' in page
    assert '<h2 id="tools-2">Tools<a class="anchor" href="#tools-2"' in page


def test_links_and_images_match_the_email(site):
    result, out = site
    for page in result.pages:
        web = (out / page.path / "index.html").read_text()
        article = web.split("<article>")[1].split("</article>")[0]
        mail = email(page).html.split('class="mailer-content"')[1].split("mailer-footer")[0]
        assert hrefs(article) == hrefs(mail), page.path
        assert "https://labnotes.example.org/archive/" in hrefs(article) or page.path.startswith(
            "issues/2026-11-06"
        )


def test_a_page_whose_bytes_did_not_change_is_not_written_again(site, tmp_path, repo_settings):
    """A deploy that uploads what changed (by time or checksum) sees only real changes."""
    result, out = site
    page = out / result.pages[0].path / "index.html"
    before = {p: (p.stat().st_ino, p.read_bytes()) for p in out.rglob("*.html")}
    again = build_archive([tmp_path / "issues"], repo_settings, out, now=NOW)
    assert [p.path for p in again.pages] == [p.path for p in result.pages]
    after = {p: (p.stat().st_ino, p.read_bytes()) for p in out.rglob("*.html")}
    assert after == before  # the same bytes, in the same files: none replaced
    page.write_text("edited by hand")
    build_archive([tmp_path / "issues"], repo_settings, out, now=NOW)
    assert page.read_bytes() == before[page][1]  # a page that differs is written again


def test_feed_is_valid_atom_with_full_content(site):
    result, out = site
    root = ET.parse(out / "feed.xml").getroot()
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{required}") is not None, required
    assert (
        root.find(f"{ATOM}link[@rel='self']").get("href") == "https://labnotes.example.org/feed.xml"
    )
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert len(set(ids)) == 2 and all(i.startswith("https://") for i in ids)
    for entry, page in zip(entries, result.pages, strict=True):
        assert entry.find(f"{ATOM}title").text == page.subject
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry.find(f"{ATOM}updated").text)
        assert entry.find(f"{ATOM}link").get("href") == absolute(result_settings(), page.path)
        content = entry.find(f"{ATOM}content")
        assert content.get("type") == "html" and content.text == email(page).body_html
    assert root.find(f"{ATOM}updated").text == "2026-11-13T13:00:00Z"


def result_settings():
    from mailer.core.config import load_settings

    return load_settings(SAMPLE / "newsletter.toml", env={})


def test_sitemap(site):
    _, out = site
    root = ET.parse(out / "sitemap.xml").getroot()
    locs = [u.find("{http://www.sitemaps.org/schemas/sitemap/0.9}loc").text for u in root]
    assert locs == [
        "https://labnotes.example.org/",
        "https://labnotes.example.org/issues/2026-11-13-metrics/",
        "https://labnotes.example.org/issues/2026-11-06-first-issue/",
    ]


def test_pages_load_in_chromium_without_console_errors(site):
    from browser import launch
    from playwright.sync_api import sync_playwright

    _, out = site
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    errors: list[str] = []
    try:
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 375, "height": 800})
            # offline: images on the newsletter's (example) host are answered with a 1x1 PNG
            page.route(
                re.compile(r"^https?://(?!127\.0\.0\.1)"),
                lambda route: route.fulfill(status=200, content_type="image/png", body=PIXEL),
            )
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(base)
            assert page.inner_text("h1") == "Lab Notes"
            page.click("text=Measuring what matters")
            page.wait_for_url(re.compile(r".*/issues/2026-11-13-metrics/$"))
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            Path(ROOT / "test-artifacts").mkdir(exist_ok=True)
            page.screenshot(path=str(ROOT / "test-artifacts" / "archive-375.png"), full_page=True)
            page.click("a[rel=prev]")
            assert "Why we write things down" in page.inner_text("h1")
            browser.close()
    finally:
        server.shutdown()
    assert errors == []


def test_corpus_archive_speed(tmp_path):
    corpus = ROOT.parent / "shared" / "corpus" / "research-computing-teams"
    if not corpus.is_dir():
        pytest.skip("the reference corpus is not beside this checkout")
    from mailer.core.config import Settings

    result = build_archive([corpus], Settings(url="https://example.org"), tmp_path, now=NOW)
    assert len(result.pages) == 188 and result.files == 191
    ET.parse(tmp_path / "feed.xml")


def test_issue_pages_carry_what_link_previews_need_and_their_own_language(tmp_path):
    (tmp_path / "issues").mkdir()
    (tmp_path / "issues" / "2026-01-02-arabic.md").write_text(
        "---\ntitle: عدد\nsubtitle: Preview text\ndate: 2026-01-02\nlang: ar\n"
        "hero-img: /img/cover.png\n---\nنص\n"
    )
    (tmp_path / "issues" / "2026-01-01-english.md").write_text(
        "---\ntitle: One\ndate: 2026-01-01\n---\nText\n"
    )
    with_url = load_settings(None, env={}, cwd=Path("/"), url="https://n.example.org")
    build_archive([tmp_path / "issues"], with_url, tmp_path / "site")
    page = (tmp_path / "site" / "issues" / "2026-01-02-arabic" / "index.html").read_text()
    address = "https://n.example.org/issues/2026-01-02-arabic/"
    assert '<html lang="ar" dir="rtl">' in page
    assert f'<link rel="canonical" href="{address}">' in page
    assert f'<meta property="og:url" content="{address}">' in page
    assert '<meta property="og:description" content="Preview text">' in page
    assert '<meta property="og:image" content="https://n.example.org/img/cover.png">' in page
    english = (tmp_path / "site" / "issues" / "2026-01-01-english" / "index.html").read_text()
    assert '<html lang="en" dir="ltr">' in english and "og:description" not in english
    index = (tmp_path / "site" / "index.html").read_text()
    assert '<html lang="en" dir="ltr">' in index  # the newsletter's own language

    without_url = load_settings(None, env={}, cwd=Path("/"))
    build_archive([tmp_path / "issues"], without_url, tmp_path / "plain")
    plain = (tmp_path / "plain" / "issues" / "2026-01-02-arabic" / "index.html").read_text()
    assert "canonical" not in plain and "og:url" not in plain  # no address to give


def test_quotes_and_markup_in_settings_keep_the_feed_valid_xml(tmp_path, make_settings):
    issues = tmp_path / "issues"
    issues.mkdir()
    (issues / "2026-01-02-a.md").write_text(
        '---\ntitle: He said "hi" & <left>\nsubtitle: "a \\"b\\""\ndate: 2026-01-02\n---\nHi\n'
    )
    settings = make_settings(name='The "Quoted" <News> & Co', url="https://news.example.org/x")
    build_archive([issues], settings, tmp_path / "site", now=NOW)
    feed = ET.parse(tmp_path / "site" / "feed.xml").getroot()
    assert feed.find(f"{ATOM}title").text == 'The "Quoted" <News> & Co'
    ET.parse(tmp_path / "site" / "sitemap.xml")
