from __future__ import annotations

import pytest

from mailer.sanitize import sanitize_html


@pytest.mark.parametrize(
    "dangerous",
    [
        "<script>alert(1)</script>",
        "<iframe src='https://x.example'>frame</iframe>",
        "<object data='x'>obj</object>",
        "<embed src='x'>",
        "<form action='/x'><input name='q'>send</form>",
        "<video src='v.mp4'>video fallback</video>",
        "<audio src='a.mp3'>audio fallback</audio>",
        "<style>p { color: red }</style>",
    ],
)
def test_dangerous_elements_are_removed_with_their_content(dangerous):
    out = sanitize_html(f"<p>before</p>{dangerous}<p>after</p>")
    assert out == "<p>before</p><p>after</p>"


def test_handlers_and_javascript_urls_never_survive():
    out = sanitize_html(
        '<a href="javascript:alert(1)" onclick="x()">j</a>'
        '<img src="x.png" onerror="alert(1)" alt="x">'
    )
    assert "javascript" not in out and "onclick" not in out and "onerror" not in out
    assert out == '<a>j</a><img src="x.png" alt="x">'


def test_anchors_and_merge_tags_are_kept():
    out = sanitize_html(
        '<a name="roundup"></a><a id="jobs"></a><a href="#roundup">r</a>'
        '<a href="{{ unsubscribe_url }}">u</a><a href="*|UNSUB|*">m</a>',
        "https://news.example/",
    )
    assert '<a name="roundup"></a>' in out and '<a id="jobs"></a>' in out
    assert '<a href="#roundup">r</a>' in out
    assert 'href="{{ unsubscribe_url }}"' in out and 'href="*|UNSUB|*"' in out


def test_relative_urls_become_absolute_with_a_base():
    out = sanitize_html(
        '<a href="/jobs/">j</a><img src="img/a.png" alt="a"><a href="mailto:me@x.example">m</a>',
        "https://news.example/blog",
    )
    assert 'href="https://news.example/jobs/"' in out
    assert 'src="https://news.example/blog/img/a.png"' in out
    assert 'href="mailto:me@x.example"' in out


def test_relative_urls_stay_relative_without_a_base():
    assert sanitize_html('<a href="/jobs/">j</a>') == '<a href="/jobs/">j</a>'


def test_every_image_gets_an_alt():
    assert sanitize_html('<img src="a.png">') == '<img alt="" src="a.png">'


def test_malformed_html_is_repaired_not_passed_on():
    assert (
        sanitize_html("<p>a < b <b>bold <i>both</p>") == "<p>a &lt; b <b>bold <i>both</i></b></p>"
    )


def test_styles_keep_only_presentational_properties():
    out = sanitize_html(
        '<span style="color: red; position: fixed; '
        'background-image: url(https://t.example/x.gif)">c</span>'
    )
    assert out == '<span style="color:red">c</span>'


def test_comments_are_dropped():
    assert sanitize_html("<!-- markdownlint-disable --><p>x</p>") == "<p>x</p>"
