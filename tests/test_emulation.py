"""The two emulated clients (render/emulation.py): what they change, and that every sample and
fixture issue fits a 1000 px window in each, with every image drawn 1,600 px wide."""

from __future__ import annotations

from typing import Any

import pytest
from browser import overflow, serve_wide_images

from conftest import ROOT, SAMPLE
from mailer.checks import check_rendered
from mailer.core.errors import ConfigError
from mailer.issue.load import load_issue
from mailer.render.emulation import emulate
from mailer.render.pipeline import render_issue

ISSUES = sorted((SAMPLE / "issues").glob("*.md")) + sorted(
    (ROOT / "tests" / "fixtures" / "issues").glob("*.md")
)

SHELL = (
    "<html><head><style>.a{max-width:600px}</style></head><body>"
    '<!--[if mso | IE]><table width="600"><tr><td><![endif]-->'
    '<div style="margin:0 auto;max-width:600px;color:red">'
    "<!--[if !mso]><!--><p>not for Outlook</p><!--<![endif]-->"
    "<p>max-width: in text stays</p></div>"
    "<!--[if mso | IE]></td></tr></table><![endif]--></body></html>"
)


def test_gmail_drops_every_style_block_and_nothing_else():
    shown = emulate(SHELL, "gmail")
    assert "<style" not in shown and "max-width:600px;color:red" in shown
    assert "<!--[if mso" in shown


def test_outlook_applies_its_conditionals_and_ignores_max_width():
    shown = emulate(SHELL, "outlook")
    assert '<table width="600"><tr><td>' in shown and "[if" not in shown
    assert "not for Outlook" not in shown
    assert 'style="margin:0 auto;color:red"' in shown
    assert "<p>max-width: in text stays</p>" in shown  # only style attributes lose it
    assert "<style" not in shown


def test_an_unknown_client_is_refused():
    with pytest.raises(ConfigError, match="lotus-notes"):
        emulate(SHELL, "lotus-notes")


@pytest.fixture(scope="module")
def wide_page(chromium) -> Any:
    page = chromium.new_page(viewport={"width": 1000, "height": 800})
    serve_wide_images(page)
    return page


@pytest.mark.parametrize("source", ISSUES, ids=lambda p: p.stem)
def test_no_issue_overflows_in_either_emulation(source, repo_settings, wide_page):
    """Only an image in a line of text with no width may widen the email in Outlook — nothing
    can size it — and then `check` has said so."""
    rendered = render_issue(load_issue(source, repo_settings), repo_settings)
    rendered = check_rendered(rendered, repo_settings)
    assert "<img" in rendered.html or source.parent.name != "sample"  # the samples show images
    warned = [
        f for f in rendered.findings if f.rule == "image-width" and "in a line of text" in f.message
    ]
    assert overflow(wide_page, emulate(rendered.html, "gmail")) == 0
    assert overflow(wide_page, rendered.html) == 0
    assert overflow(wide_page, emulate(rendered.html, "outlook")) == 0 or warned
    if source.stem == "edge-cases":
        assert len(warned) == 1 and "logo.png" in warned[0].message  # the one inline image


@pytest.fixture(scope="module")
def framed_page(chromium) -> Any:
    """A page without JavaScript, like the preview's sandboxed frames: <noscript> is shown."""
    context = chromium.new_context(
        java_script_enabled=False, viewport={"width": 700, "height": 800}
    )
    return context.new_page()


@pytest.mark.parametrize("client", ["outlook", "gmail"])
def test_nothing_shows_above_the_masthead_in_either_emulation(client, repo_settings, framed_page):
    """Outlook reads its Office settings (<xml><o:PixelsPerInch>96…) and shows none of them;
    the emulation must not print them as text above the email either."""
    for source in ISSUES:
        rendered = render_issue(load_issue(source, repo_settings), repo_settings)
        framed_page.set_content(emulate(rendered.html, client))
        shown = framed_page.evaluate("document.body.innerText").lstrip()
        assert shown.startswith(repo_settings.name), (source.name, shown[:60])


def test_the_emulation_would_see_an_image_that_widens_the_email(wide_page):
    """The check is not blind: an image with no width, in Outlook, at natural size, overflows."""
    html = (
        '<html><body><!--[if mso | IE]><table width="600"><tr><td><![endif]-->'
        '<div style="max-width:600px"><img src="https://x.example/a.png" alt=""'
        ' style="max-width:100%"></div><!--[if mso | IE]></td></tr></table><![endif]-->'
        "</body></html>"
    )
    assert overflow(wide_page, html) == 0
    assert overflow(wide_page, emulate(html, "outlook")) > 600  # body margin and cell padding
