"""Image widths for Outlook for Windows (mailer/render/images.py) and what `image-width` says."""

from __future__ import annotations

import re

import pytest

from mailer.issue.load import load_issue
from mailer.render.images import fit_images, size_hint
from mailer.render.pipeline import render_issue

COLUMN = 584


def widths(html: str) -> list[str | None]:
    tags = re.findall(r"<img\b[^>]*>", html)
    return [(re.search(r' width="([^"]*)"', t) or [None, None])[1] for t in tags]


@pytest.mark.parametrize(
    ("title", "url", "expected"),
    [
        ("300px", "a.png", (300, None)),
        ("300", "a.png", (300, None)),
        ("=300", "a.png", (300, None)),
        ("A chart, 300px wide", "a.png", (None, "A chart, 300px wide")),
        (None, "https://cdn.example/a.png?w=420&q=80", (420, None)),
        ("Title", "https://cdn.example/a.png?width=420", (420, "Title")),
        (None, "https://cdn.example/a.png?w=auto", (None, None)),
        (None, "https://cdn.example/wide.png", (None, None)),
    ],
)
def test_the_width_an_editor_gives(title, url, expected):
    assert size_hint(title, url) == expected


def test_block_images_get_the_column_and_inline_ones_keep_their_natural_size():
    fragment = (
        '<p>Text <img src="e.png" alt="emoji"> more.</p>\n'
        '<p><img src="a.png" alt="alone"></p>\n'
        '<p><a href="https://x.example/"><img src="l.png" alt="linked"></a></p>\n'
        '<ul>\n<li><img src="d.png" alt="in a list"></li>\n</ul>\n'
        '<blockquote>\n<p><img src="q.png" alt="quoted"></p>\n</blockquote>\n'
        '<img src="top.png" alt="raw, at the top level">'
    )
    html, fitted = fit_images(fragment, COLUMN)
    assert widths(html) == [None, "584", "584", "558", "564", "584"]
    assert [f.block for f in fitted] == [False, True, True, True, True, True]
    assert all(f.given is None for f in fitted)


def test_widths_past_the_column_are_clamped_and_heights_follow():
    fragment = (
        '<p><img src="big.png" width="1200" height="600" alt=""></p>'
        '<p><img src="half.png" width="50%" alt=""></p>'
        '<p><img src="small.png" width="120" height="40" alt=""></p>'
    )
    html, fitted = fit_images(fragment, COLUMN)
    assert '<img src="big.png" width="584" height="292" alt="">' in html
    assert '<img src="half.png" width="292" alt="">' in html
    assert '<img src="small.png" width="120" height="40" alt="">' in html  # untouched
    assert [f.given for f in fitted] == [1200, 292, 120]


def test_emoji_pictures_are_a_line_of_text_high():
    html, fitted = fit_images('<p>Released! <img class="emoji" alt="tada" src="t.png"></p>', 584)
    assert '<img class="emoji" alt="tada" src="t.png" width="20" height="20">' in html
    assert fitted[0].given == 20


def test_a_fragment_without_images_is_returned_as_is():
    fragment = "<p>No pictures here.</p>\n"
    assert fit_images(fragment, COLUMN) == (fragment, ())


def test_every_body_image_of_an_issue_is_outlook_safe(write_issue, make_settings):
    settings = make_settings()
    source = write_issue(
        "---\ntitle: T\ndate: 2026-01-01\n---\n"
        "![Chart](https://x.example/chart.png)\n\n"
        '![Logo](https://x.example/logo.png "120px")\n\n'
        '<img src="https://x.example/raw.png" width="2000" alt="raw">\n'
    )
    html = render_issue(load_issue(source, settings), settings).html
    assert widths(html) == [str(settings.content_width), "120", str(settings.content_width)]
    assert "120px" not in html  # a size is not a title


def test_image_width_names_only_what_outlook_would_draw_wrongly(write_issue, make_settings):
    from mailer.checks import check_rendered

    settings = make_settings()
    source = write_issue(
        "---\ntitle: T\ndate: 2026-01-01\n---\n"
        "Inline ![e](https://x.example/e.png) icon.\n\n"
        "![Chart](https://x.example/chart.png)\n\n"
        '![Sized](https://x.example/s.png "300px")\n\n'
        '<img src="https://x.example/raw.png" width="2000" alt="raw">\n'
    )
    rendered = check_rendered(render_issue(load_issue(source, settings), settings), settings)
    found = [(f.line, f.message) for f in rendered.findings if f.rule == "image-width"]
    # only what Outlook draws wrongly: an image of unknown size alone in its paragraph gets
    # the column's width, and a width past the column is clamped to it; both fit
    assert len(found) == 1, found
    ((line, inline),) = found
    assert line == 5 and "in a line of text" in inline and "natural size" in inline
    assert f'width="{settings.content_width}"' in rendered.html  # the 2000 px one, clamped
