"""A player inside a link leaves the link visible, named (mailer/issue/media.py), in both parts."""

from __future__ import annotations

import re

from mailer.checks import check_rendered
from mailer.issue.load import load_issue
from mailer.issue.media import linked_media_as_text
from mailer.render.pipeline import render_issue

BODY = (
    'Watch: <a href="https://x.example/talk.mp4"><video src="https://x.example/talk.mp4" '
    'poster="https://x.example/poster.jpg"></video></a>\n\n'
    '<a href="https://x.example/t"><video controls title="Keynote &amp; Q&amp;A">'
    '<source src="k.webm"></video></a>\n\n'
    '<a href="https://x.example/p"><audio><source src="https://x.example/ep%2012.mp3"></audio></a>'
    ' and <a href="https://x.example/s"><svg aria-label="Our logo"><path d="M0 0"/></svg></a>\n\n'
    '<video src="https://x.example/alone.mp4"></video> Not in a link: removed.\n\n'
    'An <embed src="x.swf"> does not swallow what follows it.\n'
)


def render(write_issue, make_settings):
    settings = make_settings()
    source = write_issue(f"---\ntitle: T\ndate: 2026-01-01\n---\n{BODY}")
    return check_rendered(render_issue(load_issue(source, settings), settings), settings)


def test_every_link_keeps_visible_text_in_the_html(write_issue, make_settings):
    html = render(write_issue, make_settings).html
    links = dict(re.findall(r'<a href="https://x\.example/(\w+)[^"]*"[^>]*>([^<]*)</a>', html))
    assert links == {
        "talk": "▶ talk.mp4",
        "t": "▶ Keynote &amp; Q&amp;A",
        "p": "♪ ep 12.mp3",
        "s": "Our logo",
    }
    assert "<video" not in html and "<svg" not in html and "alone.mp4" not in html


def test_the_text_part_names_them_too(write_issue, make_settings):
    text = render(write_issue, make_settings).text
    assert "Watch: ▶ talk.mp4 [1]" in text
    assert "▶ Keynote & Q&A [2]" in text
    assert "does not swallow what follows it." in text


def test_check_names_what_was_replaced_and_what_was_removed(write_issue, make_settings):
    found = [
        (f.line, f.message)
        for f in render(write_issue, make_settings).findings
        if f.rule == "forbidden-markup"
    ]
    replaced = [m for _, m in found if "inside a link" in m]
    assert len(replaced) == 4 and "'▶ talk.mp4'" in replaced[0] and "'Our logo'" in replaced[3]
    removed = [(line, m) for line, m in found if "inside a link" not in m]
    assert [line for line, _ in removed] == [11, 13]  # the lone <video>, the <embed>
    assert found[0][0] == 5


def test_outside_a_link_nothing_is_replaced():
    fragment = '<p><video src="a.mp4"></video></p>'
    assert linked_media_as_text(fragment) == (fragment, ())
