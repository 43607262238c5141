"""Campaign tags (render/campaign.py): UTM parameters on outbound links, HTML and text alike."""

from __future__ import annotations

import re

import pytest

from mailer.core.errors import ConfigError
from mailer.issue.load import load_issue
from mailer.render.campaign import tag_links, tagger
from mailer.render.pipeline import render_issue

UTM = {"source": "lab notes", "medium": "email", "campaign": "{slug}"}
QUERY = "utm_source=lab+notes&utm_medium=email&utm_campaign=issue-7"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.example/x", f"https://a.example/x?{QUERY}"),
        ("https://a.example/x?y=1#part", f"https://a.example/x?y=1&{QUERY}#part"),
        ("https://a.example/x?", f"https://a.example/x?{QUERY}"),
        ("HTTP://A.example", f"HTTP://A.example?{QUERY}"),
        ("https://a.example/?utm_source=me", "https://a.example/?utm_source=me"),
        ("mailto:a@b.example", "mailto:a@b.example"),
        ("tel:+15555550100", "tel:+15555550100"),
        ("#roundup", "#roundup"),
        ("{{ unsubscribe_url }}", "{{ unsubscribe_url }}"),
        ("https://x.example/*|UNSUB|*", "https://x.example/*|UNSUB|*"),
        (
            "https://x.example/%7B%7Bsubscriber.id%7D%7D",
            "https://x.example/%7B%7Bsubscriber.id%7D%7D",
        ),
        ("/relative/page", "/relative/page"),
    ],
)
def test_what_is_tagged_and_what_is_not(url, expected):
    tag = tagger(UTM, "issue-7")
    assert tag is not None and tag(url) == expected


def test_no_tags_no_work():
    assert tagger({}, "x") is None
    fragment = '<a href="https://a.example/">a</a>'
    assert tag_links(fragment, None) == fragment


def test_links_are_tagged_in_both_parts_and_images_never(write_issue, make_settings):
    settings = make_settings(utm={"source": "lab notes", "medium": "email", "campaign": "{slug}"})
    source = write_issue(
        "---\ntitle: T\ndate: 2026-01-01\nslug: issue-7\n---\n"
        "[Read](https://a.example/x?y=1) and <https://b.example/> and "
        "![chart](https://c.example/c.png)\n\n"
        '<a href="https://d.example/p?q=1&amp;r=2">raw</a> and [up](#top)\n'
    )
    rendered = render_issue(load_issue(source, settings), settings)
    hrefs = re.findall(r'<a href="([^"]*)"', rendered.html)
    amp = QUERY.replace("&", "&amp;")
    assert f"https://a.example/x?y=1&amp;{amp}" in hrefs
    assert f"https://b.example/?{amp}" in hrefs
    assert f"https://d.example/p?q=1&amp;r=2&amp;{amp}" in hrefs
    assert "#top" in hrefs and 'src="https://c.example/c.png"' in rendered.html
    text = rendered.text
    assert f"https://a.example/x?y=1&{QUERY}" in text
    assert f"https://b.example/?{QUERY}" in text
    assert f"https://d.example/p?q=1&r=2&{QUERY}" in text
    assert "https://c.example/c.png\n" in text  # the image's address is left alone
    assert "utm_" not in rendered.html.split("mailer-footer")[1]  # our own footer links: not


@pytest.mark.parametrize(
    "utm",
    ['"email"', "{source = 1}", '{campaing = "x"}', '{source = "a\\nb"}'],
)
def test_bad_tags_are_refused_with_the_file(tmp_path, utm):
    from mailer.core.config import load_settings

    config = tmp_path / "newsletter.toml"
    config.write_text(f'[newsletter]\nname = "N"\nutm = {utm}\n')
    with pytest.raises(ConfigError, match=r"newsletter\.utm"):
        load_settings(config, env={})
