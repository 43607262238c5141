"""Local pictures, end to end: a picture beside the issue file, one in a subfolder and one in a
page bundle are published beside the issue's archive page (build writes that address, archive
copies the bytes there, the preview serves them from disk), drawn at their natural width at most,
and `check` says on its line when one is missing, unreadable or not the repository's."""

from __future__ import annotations

import hashlib
import http.client
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image

from mailer.checks.process import process
from mailer.cli import cli
from mailer.core.config import load_settings
from mailer.preview.pages import PreviewSite
from mailer.preview.server import PreviewServer
from mailer.render.images import fit_images

SITE = "https://notes.example.org"
LOCAL = "2026-11-02-local"


def newsletter(tmp_path: Path, url: str = SITE, archive_path: str = "") -> Path:
    """A newsletter with a picture beside an issue, one in a subfolder, a page bundle with its
    own picture, and an issue that shows the bundle's pictures in a two-cell table."""
    config = '[newsletter]\nname = "Field Notes"\nfrom = "Field Notes <ed@notes.example.org>"\n'
    config += f'url = "{url}"\n' if url else ""
    config += f'archive_path = "{archive_path}"\n' if archive_path else ""
    (tmp_path / "newsletter.toml").write_text(config)
    issues = tmp_path / "issues"
    (issues / "img").mkdir(parents=True)
    (issues / "2026-11-09-bundle").mkdir()
    Image.new("RGB", (300, 200), "red").save(issues / "chart.png")
    Image.new("RGB", (1400, 700), "blue").save(issues / "img" / "wide.jpg", quality=80)
    Image.new("RGB", (600, 400), "green").save(issues / "2026-11-09-bundle" / "photo.webp")
    Image.new("RGB", (600, 400), "gray").save(issues / "2026-11-09-bundle" / "cell.gif")
    (issues / f"{LOCAL}.md").write_text(
        "---\ntitle: Local pictures\npreheader: Pictures beside the issue and below it.\n---\n"
        "A chart beside the file:\n\n![Sales by month](chart.png)\n\n"
        "A wide screenshot in a subfolder:\n\n![The dashboard](img/wide.jpg)\n\n"
        "| Before | After |\n|---|---|\n"
        "| ![Old](2026-11-09-bundle/cell.gif) | ![New](2026-11-09-bundle/cell.gif) |\n"
    )
    (issues / "2026-11-09-bundle" / "index.md").write_text(
        "---\ntitle: A bundle\npreheader: An issue that keeps its pictures with it.\n---\n"
        "![A green field](photo.webp)\n\nBack to [last week](../2026-11-02-local.md).\n"
    )
    return issues


def images_of(html: str) -> dict[str, dict[str, str]]:
    """alt → the attributes of its <img>."""
    found = {}
    for tag in re.findall(r"<img [^>]*>", html):
        attrs = dict(re.findall(r'([a-z-]+)="([^"]*)"', tag))
        found[attrs.get("alt", "")] = attrs
    return found


def test_build_writes_the_published_address_and_the_natural_width(tmp_path):
    issues = newsletter(tmp_path)
    settings = load_settings(tmp_path / "newsletter.toml", env={})
    rendered = process(issues / f"{LOCAL}.md", settings)
    images = images_of(rendered.html)
    page = f"{SITE}/issues/{LOCAL}/"
    assert images["Sales by month"]["src"] == page + "chart.png"
    assert images["Sales by month"]["width"] == "300"  # its own width: never stretched
    assert images["The dashboard"]["src"] == page + "img/wide.jpg"
    assert images["The dashboard"]["width"] == str(settings.content_width)  # never wider
    # two cells share the column: each picture gets its half, less the cell's padding
    assert images["New"]["width"] == str(settings.content_width // 2 - 21)
    assert not [f for f in rendered.findings if f.rule in ("image-src", "image-width")]
    bundle = process(issues / "2026-11-09-bundle" / "index.md", settings)
    assert images_of(bundle.html)["A green field"]["src"] == (
        f"{SITE}/issues/2026-11-09-bundle/photo.webp"
    )
    assert f'href="{SITE}/issues/{LOCAL}/"' in bundle.html
    assert {a.source.name for a in rendered.assets} == {"chart.png", "wide.jpg", "cell.gif"}


def test_archive_publishes_the_same_bytes_at_those_addresses(tmp_path):
    issues = newsletter(tmp_path)
    out = tmp_path / "site"
    result = CliRunner().invoke(
        cli, ["--config", str(tmp_path / "newsletter.toml"), "archive", str(issues), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "4 pictures and files beside them" in result.output
    published = {
        f"issues/{LOCAL}/chart.png": issues / "chart.png",
        f"issues/{LOCAL}/img/wide.jpg": issues / "img" / "wide.jpg",
        f"issues/{LOCAL}/2026-11-09-bundle/cell.gif": issues / "2026-11-09-bundle" / "cell.gif",
        "issues/2026-11-09-bundle/photo.webp": issues / "2026-11-09-bundle" / "photo.webp",
    }
    for site_path, source in published.items():
        assert sha(out / site_path) == sha(source), site_path
    page = (out / "issues" / LOCAL / "index.html").read_text()
    assert f'src="{SITE}/issues/{LOCAL}/img/wide.jpg"' in page
    # the bundle's markdown is not published: only the files an issue refers to
    assert not (out / "issues" / "2026-11-09-bundle" / "index.md").exists()


def test_two_pictures_published_at_one_address_fail_the_archive_naming_both(tmp_path):
    issues = newsletter(tmp_path, archive_path="{slug}.html")  # pages share the site's root
    (issues / "2026-11-09-bundle" / "chart.png").write_bytes(b"GIF89a" + bytes(20))
    (issues / "2026-11-09-bundle" / "index.md").write_text("---\ntitle: B\n---\n![c](chart.png)\n")
    out = tmp_path / "site"
    result = CliRunner().invoke(
        cli, ["--config", str(tmp_path / "newsletter.toml"), "archive", str(issues), "-o", str(out)]
    )
    assert result.exit_code == 1
    assert "both published at chart.png" in result.output
    assert str(issues / "chart.png") in result.output
    assert str(issues / "2026-11-09-bundle" / "chart.png") in result.output


def test_check_says_on_its_line_what_is_wrong_with_a_local_picture(tmp_path):
    issues = newsletter(tmp_path)
    (issues / "notes.png").write_text("not a picture")
    (tmp_path / ".private").mkdir()
    Image.new("RGB", (10, 10)).save(tmp_path / ".private" / "x.png")
    Image.new("RGB", (10, 10)).save(tmp_path.parent / "outside.png")
    (issues / "2026-11-16-bad.md").write_text(
        "---\ntitle: Bad\n---\n"
        "![Gone](missing.png)\n\n"  # line 4
        "![Text](notes.png)\n\n"  # line 6
        f"![Out](../../{'outside.png'})\n\n"  # line 8
        "![Hidden](../.private/x.png)\n\n"  # line 10
        "![Site](/img/logo.png)\n"  # line 12
    )
    settings = load_settings(tmp_path / "newsletter.toml", env={})
    rendered = process(issues / "2026-11-16-bad.md", settings)
    found = {(f.line, f.severity): f.message for f in rendered.findings if f.rule == "image-src"}
    assert "is not there" in found[(4, "error")] and "missing.png" in found[(4, "error")]
    assert "not a picture mailer can read" in found[(6, "error")]
    assert "outside the repository or in a hidden folder" in found[(8, "error")]
    assert "outside the repository or in a hidden folder" in found[(10, "error")]
    assert "make sure the site serves it" in found[(12, "warning")]
    # neither the file outside the repository nor the hidden one is published
    assert {a.source.name for a in rendered.assets} == {"notes.png"}
    # and a missing picture is no width warning besides
    assert not [f for f in rendered.findings if f.rule == "image-width"]


def test_without_url_a_local_picture_says_how_to_publish_it(tmp_path):
    issues = newsletter(tmp_path, url="")
    settings = load_settings(tmp_path / "newsletter.toml", env={})
    rendered = process(issues / f"{LOCAL}.md", settings)
    errors = [f for f in rendered.findings if f.rule == "image-src"]
    assert errors and all(f.severity == "error" for f in errors)
    assert 'set url = "https://…" under [newsletter]' in errors[0].message
    assert errors[0].line == 7


def test_a_new_picture_of_another_size_rebuilds_the_email(tmp_path):
    issues = newsletter(tmp_path)
    config = str(tmp_path / "newsletter.toml")
    out = tmp_path / "out"
    args = ["--config", config, "build", str(issues / f"{LOCAL}.md"), "-o", str(out)]
    assert CliRunner().invoke(cli, args).exit_code == 0
    html = (out / f"{LOCAL}.html").read_text()
    assert images_of(html)["Sales by month"]["width"] == "300"
    Image.new("RGB", (120, 80), "red").save(issues / "chart.png")  # the same name, smaller
    assert CliRunner().invoke(cli, args).exit_code == 0
    assert images_of((out / f"{LOCAL}.html").read_text())["Sales by month"]["width"] == "120"


def test_a_linked_issue_that_changes_its_slug_rebuilds_the_link(tmp_path):
    issues = newsletter(tmp_path)
    config = str(tmp_path / "newsletter.toml")
    out = tmp_path / "out"
    bundle = issues / "2026-11-09-bundle" / "index.md"
    args = ["--config", config, "build", str(bundle), "-o", str(out)]
    assert CliRunner().invoke(cli, args).exit_code == 0
    (issues / f"{LOCAL}.md").write_text("---\ntitle: Renamed\nslug: pictures\n---\nHi.\n")
    assert CliRunner().invoke(cli, args).exit_code == 0
    assert f'href="{SITE}/issues/pictures/"' in (out / "2026-11-09-bundle.html").read_text()


def test_cells_share_their_table_and_keep_their_own_widths():
    row = (
        '<table><tbody><tr><td><img src="a.png" alt=""></td><td><img src="b.png" alt=""></td>'
        '<td><img src="c.png" alt=""></td></tr></tbody></table>\n'
        '<table width="400"><tbody><tr><td width="25%"><img src="d.png" alt=""></td>'
        '<td><table><tbody><tr><td><img src="e.png" alt=""></td></tr></tbody></table></td>'
        "</tr></tbody></table>\n"
        '<ul><li><img src="f.png" alt=""></li></ul>\n<p><img src="g.png" alt=""></p>\n'
    )
    sizes = {"a.png": (2000, 100), "d.png": (2000, 100), "g.png": (100, 50)}
    _, fitted = fit_images(row, 600, sizes)
    widths = {f.src: f.width for f in fitted}
    assert widths["a.png"] == 600 // 3 - 21  # an even third of the column
    assert widths["b.png"] == 600 // 3 - 21  # size unknown, alone in its cell: the cell's width
    assert widths["d.png"] == 100 - 21  # 25% of the table's 400 px
    assert widths["e.png"] == 400 // 2 - 21 - 21  # a nested table's one cell, in the other half
    assert widths["f.png"] == 600 - 26  # a list's indent
    assert widths["g.png"] == 100  # its natural width, not the column's


@pytest.fixture
def preview(tmp_path: Path) -> Any:
    issues = newsletter(tmp_path)
    site = PreviewSite([issues], lambda: load_settings(tmp_path / "newsletter.toml", env={}))
    with PreviewServer(site, 0, interval=0.05) as running:
        yield running, issues


def fetch(server: PreviewServer, path: str) -> tuple[int, bytes, str]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", path, headers={"Host": f"127.0.0.1:{server.port}"})
    response = conn.getresponse()
    return response.status, response.read(), response.getheader("Content-Type") or ""


def test_the_preview_serves_local_pictures_from_disk(preview, chromium):
    server, issues = preview
    assert "2026-11-09-bundle" in server.site.entries  # a page bundle is an issue here too
    status, body, _ = fetch(server, f"/raw/{LOCAL}.html")
    assert status == 200
    html = body.decode()
    assert f'src="/files/{LOCAL}/issues/{LOCAL}/chart.png"' in html
    assert SITE + "/issues/" + LOCAL + "/chart.png" not in html
    status, data, kind = fetch(server, f"/files/{LOCAL}/issues/{LOCAL}/img/wide.jpg")
    assert (status, kind) == (200, "image/jpeg")
    assert data == (issues / "img" / "wide.jpg").read_bytes()
    for path in (f"/files/{LOCAL}/../../newsletter.toml", f"/files/{LOCAL}/issues/{LOCAL}.md"):
        assert fetch(server, path)[0] == 404
    context = chromium.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(f"{server.url}raw/{LOCAL}.html")
    page.wait_for_load_state("load")
    drawn = page.eval_on_selector_all(
        "img[alt]", "els => els.map(e => [e.alt, e.naturalWidth, e.getBoundingClientRect().right])"
    )
    context.close()
    natural = {alt: width for alt, width, _ in drawn}
    assert natural["Sales by month"] == 300 and natural["The dashboard"] == 1400
    assert natural["Old"] == 600
    assert all(right <= 375 for _, _, right in drawn)  # none wider than the phone


def test_the_preview_shows_a_changed_picture(preview):
    server, issues = preview
    site = server.site
    before = site.version
    Image.new("RGB", (120, 80), "red").save(issues / "chart.png")
    site.refresh()
    assert site.version > before
    rendered = site.entries[LOCAL].rendered
    assert images_of(rendered.html)["Sales by month"]["width"] == "120"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_linked_issue_file_is_never_published_as_a_file(tmp_path):
    """A link to a sibling issue names its page; even when that file cannot be read as an
    issue (its own error is reported where it is loaded), its Markdown is not copied out."""
    issues = newsletter(tmp_path)
    (issues / "2026-11-20-broken.md").write_text("---\nslug: [unclosed\n---\nBody\n")
    (issues / f"{LOCAL}.md").write_text("---\ntitle: T\n---\n[next](2026-11-20-broken.md)\n")
    settings = load_settings(tmp_path / "newsletter.toml", env={})
    rendered = process(issues / f"{LOCAL}.md", settings)
    assert rendered.assets == ()
