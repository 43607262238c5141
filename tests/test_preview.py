"""mailer preview in real headless Chromium (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import http.client
import itertools
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, SAMPLE
from mailer.core.config import load_settings
from mailer.preview.pages import PreviewSite
from mailer.preview.server import PreviewServer

ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def issues(tmp_path) -> Path:
    folder = tmp_path / "issues"
    shutil.copytree(SAMPLE / "issues", folder)
    return folder


@pytest.fixture
def server(issues) -> Iterator[PreviewServer]:
    site = PreviewSite([issues], lambda: load_settings(SAMPLE / "newsletter.toml", env={}))
    with PreviewServer(site, 0, interval=0.05) as running:
        yield running


@pytest.fixture(scope="module")
def browser(chromium: Any) -> Any:
    return chromium


@pytest.fixture
def page(browser) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    context.close()


def get(server: PreviewServer, path: str, host: str | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", path, headers={"Host": host or f"127.0.0.1:{server.port}"})
    response = conn.getresponse()
    return response.status, response.read().decode()


def test_foreign_hosts_traversal_and_listings_are_refused(server):
    assert get(server, "/")[0] == 200
    assert get(server, "/", host=f"localhost:{server.port}")[0] == 200
    assert get(server, "/", host="evil.example")[0] == 403
    assert get(server, "/", host=f"evil.example:{server.port}")[0] == 403
    for path in (
        "/raw/../../../etc/passwd",
        "/raw/",
        "/issues/",
        "/raw/%2e%2e%2fnewsletter.toml",
        "/issue/../newsletter",
        "/raw/nope.html",
    ):
        assert get(server, path)[0] == 404, path


def test_no_other_site_may_frame_the_preview_and_bad_requests_get_400(server, page):
    """Clickjacking: the preview's pages refuse every frame, the email only frames of the
    preview itself. A request with a Content-Length that is not a number is a 400."""
    for path, allowed in (("/", "'none'"), ("/issue/2026-11-13-metrics", "'none'"),
                          ("/raw/2026-11-13-metrics.html", "'self'")):  # fmt: skip
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request("GET", path, headers={"Host": f"127.0.0.1:{server.port}"})
        response = conn.getresponse()
        response.read()
        assert response.getheader("Content-Security-Policy") == f"frame-ancestors {allowed}"
        assert response.getheader("X-Frame-Options") == (
            "DENY" if allowed == "'none'" else "SAMEORIGIN"
        )
    for length in ("abc", "-1", "99999999999"):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.putrequest("POST", "/links/2026-11-13-metrics")
        conn.putheader("Host", f"127.0.0.1:{server.port}")
        conn.putheader("X-Mailer-Preview", "1")
        conn.putheader("Content-Length", length)
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == 400, length
    assert get(server, "/")[0] == 200  # still serving
    # and the page a hostile site would frame is refused by the browser
    page.set_content(f'<iframe id="f" src="{server.url}issue/2026-11-13-metrics"></iframe>')
    page.wait_for_timeout(300)
    assert page.frames[1].url in ("", "about:blank", "chrome-error://chromewebdata/")
    assert page.frames[1].query_selector("#check-links") is None


def test_the_email_is_served_exactly_as_built(server):
    entry = server.site.entries["2026-11-13-metrics"]
    status, html = get(server, "/raw/2026-11-13-metrics.html")
    assert status == 200 and html == entry.rendered.html
    assert "EventSource" not in html and "<script" not in html
    assert "EventSource" in get(server, "/issue/2026-11-13-metrics")[1]


def test_index_lists_issues_newest_first(server, page):
    page.goto(server.url)
    names = page.eval_on_selector_all("tr.issue", "rows => rows.map(r => r.dataset.name)")
    assert names == ["2026-11-27-hiring", "2026-11-13-metrics", "2026-11-06-first-issue"]
    assert "KB" in page.inner_text("tr.issue") and page.errors == []


def test_issue_page_toggles_and_fits_a_phone(server, page):
    page.goto(server.url + "issue/2026-11-13-metrics")
    page.wait_for_function(
        "document.getElementById('mobile').contentDocument?.readyState"
        " === 'complete' && !!document.getElementById('mobile').contentDocument"
        ".body?.innerText.includes('Measuring')"
    )
    assert "Measuring what matters" in page.inner_text("#inbox")
    assert "Usage metrics" in page.inner_text("#inbox")
    width = page.evaluate(
        "() => { const d = document.getElementById('mobile').contentDocument;"
        " return [d.documentElement.scrollWidth, d.documentElement.clientWidth];}"
    )
    assert width[0] <= 375 and width[0] <= width[1], f"horizontal scroll at 375 px: {width}"
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".frame.mobile").screenshot(path=str(ARTIFACTS / "preview-375.png"))
    page.set_viewport_size({"width": 600, "height": 1000})
    page.click("button[data-width=desktop]")
    assert page.is_hidden(".frame.mobile") and page.is_visible(".frame.desktop")
    page.screenshot(path=str(ARTIFACTS / "preview-600.png"), full_page=False)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.click("button[data-width=mobile]")
    assert page.is_hidden(".frame.desktop") and page.is_visible(".frame.mobile")

    def background():
        return page.evaluate(
            "() => getComputedStyle(document.getElementById('mobile')"
            ".contentDocument.body).backgroundColor"
        )

    light = background()
    page.click("button[data-scheme=dark]")
    page.wait_for_function("document.getElementById('mobile').src.includes('scheme=dark')")
    # while the frame reloads it has no body for a moment: wait until the new one is painted
    page.wait_for_function(
        "(() => { const b = document.getElementById('mobile').contentDocument?.body;"
        " return !!b && getComputedStyle(b).backgroundColor === 'rgb(17, 19, 21)'; })()"
    )
    assert background() != light
    page.click("button[data-view=text]")
    assert "Measuring what matters\n====" in page.inner_text("#text-part")
    page.click("button[data-view=findings]")
    assert "[anchor-app]" in page.inner_text("#findings")  # its only finding: #tools
    assert page.inner_text("#findings").count("[") == 1
    assert page.errors == []


def page_width(page: Any) -> tuple[int, int]:
    """How wide the preview page itself draws, and how wide the viewport is."""
    size: tuple[int, int] = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    return size


@pytest.mark.parametrize("width", [375, 320])
def test_the_preview_pages_fit_a_phone(server, page, issues, width):
    """Editors look at issues on their phones: the index, the issue page in each of its views
    and an issue that does not render never scroll sideways (the email frames may, in their
    own boxes)."""
    long_name = issues / "2026-12-01-a-rather-long-file-name-that-an-editor-might-well-write.md"
    long_name.write_text(
        "---\ntitle: Notes on https://example.org/a/very/long/address/that/never/breaks/by/itself"
        "\ndate: 2026-12-01\n---\nSee https://example.org/" + "x" * 120 + "\n"
    )
    (issues / "2026-12-02-broken.md").write_text("---\ntitle: B\ndate: someday\n---\nHi\n")
    server.site.refresh()
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(server.url)
    scroll, viewport = page_width(page)
    assert scroll <= viewport, f"the index scrolls sideways at {width} px: {scroll}"
    cell = page.query_selector("tr.issue td")
    assert cell.bounding_box()["width"] > width / 2  # one card per issue, not squeezed columns
    if width == 375:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "preview-index-375.png"), full_page=True)
    for name in ("2026-11-13-metrics", long_name.stem, "2026-12-02-broken"):
        page.goto(server.url + "issue/" + name)
        for view in ("email", "text", "source", "findings"):
            if page.query_selector(f"button[data-view={view}]"):
                page.click(f"button[data-view={view}]")
            scroll, viewport = page_width(page)
            assert scroll <= viewport, f"{name} ({view}) scrolls sideways at {width} px: {scroll}"
    page.goto(server.url + "issue/2026-11-13-metrics")
    page.click("button[data-view=email]")
    page.wait_for_function(
        "document.getElementById('mobile').contentDocument?.body?.innerText.includes('Measuring')"
    )
    # the toolbar's buttons keep their words on one line each
    heights = page.eval_on_selector_all(
        ".controls button", "bs => bs.map(b => b.getBoundingClientRect().height)"
    )
    assert max(heights) < 2 * min(heights), heights
    if width == 375:
        page.screenshot(path=str(ARTIFACTS / "preview-issue-375.png"), full_page=True)
    assert page.errors == []


def test_the_emulated_clients_are_shown_labelled_and_fit(server, page):
    page.goto(server.url + "issue/2026-11-13-metrics")
    page.click("button[data-client=outlook]")
    page.wait_for_function("document.getElementById('desktop').src.includes('client=outlook')")
    assert "Outlook desktop, emulated" in page.inner_text(".frame.desktop .label")
    page.wait_for_function(
        "(() => { const d = document.getElementById('desktop').contentDocument;"
        " return d?.readyState === 'complete' && d.body?.innerText.includes('Measuring'); })()"
    )
    inside = page.evaluate(
        "() => { const d = document.getElementById('desktop').contentDocument;"
        " return [d.querySelectorAll('style').length, d.documentElement.scrollWidth]; }"
    )
    assert inside[0] == 0 and inside[1] <= 680, inside  # no <style>; no wider than the frame
    status, outlook = get(server, "/raw/2026-11-13-metrics.html?client=outlook")
    assert status == 200 and "<style" not in outlook and "[if mso" not in outlook
    status, gmail = get(server, "/raw/2026-11-13-metrics.html?client=gmail")
    assert "<style" not in gmail and "[if mso" in gmail
    page.click("button[data-client=gmail]")
    assert "Gmail app, emulated" in page.inner_text(".frame.mobile .label")
    page.click("button[data-client=built]")
    assert "emulated" not in page.inner_text(".frame.desktop .label")
    assert page.errors == []


def test_the_inbox_row_and_the_text_part_read_as_they_will_arrive(server, page):
    page.set_viewport_size({"width": 900, "height": 800})
    page.goto(server.url + "issue/2026-11-13-metrics")
    boxes = page.eval_on_selector_all(
        "#inbox > span", "spans => spans.map(s => s.getBoundingClientRect().toJSON())"
    )
    for left, right in itertools.pairwise(boxes):
        assert left["right"] <= right["left"], boxes  # sender, subject, preheader: no overlap
    page.click("button[data-view=text]")
    text = page.inner_text("#text-part")
    assert max(len(line) for line in text.splitlines() if "://" not in line) <= 78
    # lines are shown as sent: each takes exactly one line on screen, none is wrapped again
    lines, height, line_height = page.evaluate(
        "() => { const p = document.getElementById('text-part'); const s = getComputedStyle(p);"
        " return [p.textContent.replace(/\\n$/, '').split('\\n').length,"
        " p.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom),"
        " parseFloat(s.lineHeight) || 1.2 * parseFloat(s.fontSize)]; }"
    )
    assert abs(height - lines * line_height) < line_height / 2, (lines, height, line_height)


def test_a_browser_that_goes_away_leaves_no_traceback(server, capfd):
    import socket
    import struct

    for path in ("/events", "/issue/2026-11-13-metrics", "/raw/2026-11-13-metrics.html"):
        for _ in range(5):
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
            # close with a reset (SO_LINGER 0), as a killed tab does, before reading the answer
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
    server.site.version += 1  # wake the event streams, which then write to a closed socket
    with server.site.changed:
        server.site.changed.notify_all()
    assert get(server, "/")[0] == 200  # still serving
    time.sleep(0.3)
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err and "ConnectionResetError" not in captured.err


def test_a_broken_config_shows_on_every_page(issues, page, tmp_path):
    config = tmp_path / "newsletter.toml"
    shutil.copy(SAMPLE / "newsletter.toml", config)
    site = PreviewSite([issues], lambda: load_settings(config, env={}))
    with PreviewServer(site, 0, interval=0.05) as server:
        page.goto(server.url + "issue/2026-11-13-metrics")
        config.write_text(config.read_text() + "\n[theme]\nwidth = 9000\n")
        page.wait_for_selector("#setup-error", timeout=10_000)
        assert "newsletter.toml" in page.inner_text("#setup-error")
        page.goto(server.url)
        assert page.is_visible("#setup-error")


def test_saving_a_file_updates_the_open_page(server, page, issues):
    page.goto(server.url + "issue/2026-11-06-first-issue")
    source = issues / "2026-11-06-first-issue.md"
    source.write_text(
        source.read_text().replace("Welcome to the first issue", "Hello again, this is live")
    )
    page.wait_for_function(
        "document.getElementById('desktop').contentDocument &&"
        " document.getElementById('desktop').contentDocument.body &&"
        " document.getElementById('desktop').contentDocument.body.innerText"
        ".includes('Hello again, this is live')",
        timeout=5000,
    )


def test_a_broken_issue_shows_its_error_and_a_fix_recovers(server, page, issues):
    source = issues / "2026-11-13-metrics.md"
    good = source.read_text()
    page.goto(server.url + "issue/2026-11-13-metrics")
    source.write_text(good.replace("date: 2026-11-13", "date: sometime soon"))
    page.wait_for_selector("#issue-error", timeout=5000)
    message = (
        "front matter: \"date\" is not a date ('sometime soon'): write it as YYYY-MM-DD "
        "(a real day), or YYYY-MM-DD HH:MM with an optional offset or zone"
    )
    assert page.inner_text("#issue-error") == f"{source}:4: {message}"
    page.goto(server.url)
    assert "is not a date" in page.inner_text("tr.broken")
    source.write_text(good)
    page.wait_for_selector("tr.issue:not(.broken) >> nth=2", timeout=5000)
    assert page.query_selector("tr.broken") is None
    page.goto(server.url + "issue/2026-11-13-metrics")
    assert page.query_selector("#issue-error") is None


def test_a_template_change_re_renders_everything(tmp_path):
    (tmp_path / "issues").mkdir()
    (tmp_path / "issues" / "a.md").write_text("---\ntitle: A\ndate: 2024-01-01\n---\nHi\n")
    (tmp_path / "newsletter.toml").write_text('[newsletter]\nname = "One"\n')
    (tmp_path / "templates").mkdir()
    site = PreviewSite(
        [tmp_path / "issues"], lambda: load_settings(tmp_path / "newsletter.toml", env={})
    )
    assert site.entries["a"].rendered.text.startswith("One")
    before = site.version
    (tmp_path / "newsletter.toml").write_text('[newsletter]\nname = "Two"\n')
    os.utime(tmp_path / "newsletter.toml", ns=(1, 1))  # a different mtime, whatever the clock
    assert site.refresh() and site.version > before
    assert site.entries["a"].rendered.text.startswith("Two")
    assert not site.refresh()  # nothing changed since: nothing re-rendered


def test_nothing_an_editor_saves_takes_the_preview_down(issues, page):
    site = PreviewSite([issues], lambda: load_settings(SAMPLE / "newsletter.toml", env={}))
    with PreviewServer(site, 0, interval=0.05, idle_timeout=0.5) as server:
        deep = issues / "2099-01-01-deep.md"
        deep.write_text("---\ntitle: Deep\ndate: 2099-01-01\n---\n" + "<table><tr><td>" * 4000)
        laughs = issues / "2099-01-02-laughs.md"
        laughs.write_text("---\na: &a [x]\ntitle: *a\ndate: 2099-01-02\n---\nBody\n")
        page.goto(server.url)
        page.wait_for_selector("tr.broken >> nth=1", timeout=5000)
        text = page.inner_text("body")
        assert "nests more than 100 elements deep" in text and "aliases" in text
        # the folder vanishes and comes back (a branch switch): the watcher keeps going
        moved = issues.with_name("moved")
        issues.rename(moved)
        site.refresh()  # what the watcher does; it must not raise
        moved.rename(issues)
        deep.unlink()
        # the index reloads itself meanwhile: while it has no body yet, keep waiting
        page.wait_for_function(
            "!(document.body?.innerText ?? 'Deep').includes('Deep')", timeout=5000
        )
        # an idle connection is closed after the timeout instead of holding a thread
        import socket

        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as idle:
            idle.settimeout(5)
            assert idle.recv(1) == b""
        assert get(server, "/")[0] == 200


def test_the_preview_answers_at_once_and_shows_the_issues_when_rendered(issues, page):
    """As `mailer preview` starts it: the first rendering happens in the watcher, not before
    the server listens, so a large archive does not keep the editor waiting for a page."""
    for n in range(40):
        shutil.copy(issues / "2026-11-13-metrics.md", issues / f"2020-01-{n % 28 + 1:02d}-{n}.md")
    site = PreviewSite(
        [issues], lambda: load_settings(SAMPLE / "newsletter.toml", env={}), render_now=False
    )
    assert site.entries == {} and not site.ready.is_set()
    server = PreviewServer(site, 0, interval=0.05)
    threading.Thread(target=server.httpd.serve_forever, args=(0.05,), daemon=True).start()
    try:
        status, body = get(server, "/")  # the watcher has not started: nothing rendered yet
        assert status == 200 and "Rendering the issues" in body
        assert get(server, "/issue/2026-11-13-metrics")[0] == 200
        page.goto(server.url)
        server.watcher.start()
        page.wait_for_selector("tr.issue >> nth=42", timeout=20_000)  # the page came back
        assert len(site.entries) == 43 and site.ready.is_set()
    finally:
        server.stop()


def test_watching_looks_closely_at_recent_edits_and_at_everything_each_second(issues):
    site = PreviewSite([issues], lambda: load_settings(SAMPLE / "newsletter.toml", env={}))
    stop = threading.Event()
    watcher = threading.Thread(target=site.watch, args=(stop, 0.01, 0.3), daemon=True)
    watcher.start()
    try:
        edited = issues / "2026-11-13-metrics.md"
        before = site.version
        edited.write_text(edited.read_text() + "\nOne more line.\n")
        os.utime(edited, ns=(2, 2))
        assert site.wait_for_change(before, timeout=5) > before  # first edit: the full scan
        assert str(edited) in site._hot
        seen = site.version
        edited.write_text(edited.read_text() + "\nAnd another.\n")
        os.utime(edited, ns=(3, 3))
        assert site.hot_changed()  # a recent file: noticed on the next short poll
        assert site.wait_for_change(seen, timeout=5) > seen
        assert "And another." in site.entries["2026-11-13-metrics"].rendered.text
        seen = site.version
        (issues / "2099-01-01-new.md").write_text("---\ntitle: New\ndate: 2099-01-01\n---\nHi\n")
        assert site.wait_for_change(seen, timeout=5) > seen  # a new file: the full scan
        assert "2099-01-01-new" in site.entries
    finally:
        stop.set()
        watcher.join()


def test_the_check_links_button_follows_the_links_of_the_issue_on_screen(issues, page, sample_copy):
    from test_linkcheck import Site

    site_server = Site()
    threading.Thread(target=site_server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        (issues / "2099-02-01-links.md").write_text(
            "---\ntitle: Links\nsubtitle: S\ndate: 2099-02-01\n---\n"
            f"[fine]({site_server.url}/ok) and [dead]({site_server.url}/missing)\n"
        )
        config = sample_copy / "newsletter.toml"  # the good links are remembered beside it
        site = PreviewSite([issues], lambda: load_settings(config, env={}))
        with PreviewServer(site, 0, interval=0.05) as server:
            page.goto(server.url + "issue/2099-02-01-links")
            assert sum(site_server.requests.values()) == 0  # nothing asked until the click
            page.click('button[data-view="findings"]')
            page.click("#check-links")
            page.wait_for_selector("#link-findings li.error", timeout=20_000)
            items = page.inner_text("#link-findings")
            assert f"{site_server.url}/missing" in items and "[link-dead]" in items
            assert "/ok" not in items
            assert "2 addresses" in page.inner_text("#links-status")
            assert page.errors == []
            # another site's page cannot make the preview fetch: no custom header, no answer
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            conn.request(
                "POST", "/links/2099-02-01-links", headers={"Host": f"127.0.0.1:{server.port}"}
            )
            assert conn.getresponse().status == 403
    finally:
        site_server.shutdown()
        site_server.server_close()


def test_the_pooled_first_look_shows_what_one_by_one_does(issues, monkeypatch):
    """A large archive is first rendered in the worker pool (preview.POOL_FROM): the same
    pages as rendering each issue in the server's process."""
    import mailer.preview.pages as preview

    for n in range(8):  # 27 issues: past batch.PARALLEL_FROM, so in worker processes
        for source in list(issues.glob("2026-*.md")):
            shutil.copy(source, issues / f"copy{n}-{source.name}")
    load = lambda: load_settings(SAMPLE / "newsletter.toml", env={})  # noqa: E731
    one_by_one = PreviewSite([issues], load, render_now=True)
    monkeypatch.setattr(preview, "POOL_FROM", 2)
    pooled = PreviewSite([issues], load, render_now=True)
    assert len(pooled.entries) == len(one_by_one.entries) == 27
    for name, entry in one_by_one.entries.items():
        other = pooled.entries[name]
        assert other.rendered is not None and entry.rendered is not None
        assert other.rendered.html == entry.rendered.html
        assert other.rendered.text == entry.rendered.text
        assert other.rendered.findings == entry.rendered.findings
        assert pooled.issue_page(other) == one_by_one.issue_page(entry).replace(
            f"{entry.took_ms:.1f} ms", f"{other.took_ms:.1f} ms"
        )
