"""The slips an editor makes, each caught by its rule on its line, and the same text written
right passing quietly (mailer/checks/mistakes.py and the rules it sits beside)."""

from __future__ import annotations

import pytest

from mailer.checks import check_rendered
from mailer.core.gatepolicy import Policy
from mailer.issue.load import load_issue
from mailer.render.pipeline import render_issue

HEADER = (
    "---\ntitle: Notes\nsubtitle: A week of small things worth reading\ndate: 2024-01-01\n---\n"
)


def found(write_issue, make_settings, text, **settings):
    s = make_settings(**settings)
    path = write_issue(text if text.startswith("---") else HEADER + text)
    return [
        (f.rule, f.severity, f.line)
        for f in check_rendered(render_issue(load_issue(path, s), s), s).findings
    ]


# (the mistake as written, the rule that catches it, its severity, its line); line 6 is the
# first line of the body
MISTAKES = [
    ("[the paper](htps://example.org/p)\n", "link-malformed", "error", 6),
    ("[the paper](http//example.org/p)\n", "link-malformed", "error", 6),
    ("[the paper](ttps://example.org/p)\n", "link-malformed", "error", 6),
    ("[the paper](TODO)\n", "link-malformed", "error", 6),
    ("[the paper](https://example.org/a paper)\n", "markdown-debris", "error", 6),
    ("Read **this carefully.\n", "markdown-debris", "error", 6),
    ("![A chart](chart.png\n", "markdown-debris", "error", 6),
    ("[my draft](file:///Users/me/draft.html)\n", "link-local", "error", 6),
    ("[the demo](http://localhost:8000/demo)\n", "link-local", "error", 6),
    ("[the dashboard](http://192.168.1.20/grafana)\n", "link-local", "error", 6),
    ("We read the the report twice.\n", "doubled-word", "warning", 6),
    ("Hello {{ unsubscribe_ur }}\n", "template-leftover", "error", 6),
    (
        "---\ntitle: Field Notes #2 - hiring season\nsubtitle: S and more words for a preview\n"
        "date: 2024-01-01\n---\nHi there, a proper sentence to open with.\n",
        "header-cut",
        "warning",
        2,
    ),
    ("Write the introduction here.\n", "template-unchanged", "error", 6),
    ("Lorem ipsum dolor sit amet.\n", "placeholder", "error", 6),
]


def test_rules_off_by_default_speak_when_asked_for(write_issue, make_settings):
    """link-private and anchor-app are right about what mailer cannot judge offline: off
    unless selected (by id or family) or given a level, as ruff keeps rules out of its default
    set."""
    text = "[the plan](https://docs.google.com/document/d/1AbC/edit)\n\n[down](#end)\n\n## End\n"
    quiet = found(write_issue, make_settings, text)
    assert not [f for f in quiet if f[0] in ("link-private", "anchor-app")]
    asked = found(
        write_issue, make_settings, text, policy=Policy(select=("link-private", "anchor"))
    )
    assert ("link-private", "warning", 6) in asked and ("anchor-app", "warning", 8) in asked
    louder = found(
        write_issue, make_settings, text, policy=Policy(severity={"link-private": "error"})
    )
    assert ("link-private", "error", 6) in louder
    assert not [f for f in louder if f[0] == "anchor-app"]


@pytest.mark.parametrize(("text", "rule", "severity", "line"), MISTAKES, ids=lambda v: str(v)[:30])
def test_each_mistake_is_caught_on_its_line(write_issue, make_settings, text, rule, severity, line):
    assert (rule, severity, line) in found(write_issue, make_settings, text)


def test_mailchimp_merge_tag_typos_and_tags_another_provider_cannot_fill(
    write_issue, make_settings
):
    text = "Hi *|FNAM|*, and *|FNAME|* and *|COMPANY_SIZE|*.\n"
    mailchimp = found(write_issue, make_settings, text, provider="mailchimp")
    assert [f for f in mailchimp if f[0] == "merge-tag-unknown"] == [
        ("merge-tag-unknown", "warning", 6)  # FNAM; FNAME is known, COMPANY_SIZE a field
    ]
    buttondown = found(write_issue, make_settings, text)
    assert [f[1] for f in buttondown if f[0] == "merge-tag-unknown"] == ["error"] * 3


WRITTEN_RIGHT = [
    "[the paper](https://example.org/p) and [mail me](mailto:me@example.org)\n",
    "[the paper](https://example.org/a%20paper) **bold** and __strong__ done.\n",
    "I love love love it; that that is how it is; a [public doc](https://docs.google.com/document/d/1AbC/view).\n",
    "[the demo](https://demo.example.org:8000/) [a host](http://10.example.org/)\n",
    "[the plan](https://docs.google.com/document/d/1AbC/edit?usp=sharing)\n",  # shared
    '---\ntitle: "Field Notes #2 - hiring season"\nsubtitle: A long enough preview\ndate: 2024-01-01\n---\nHi.\n',  # noqa: E501
    "Welcome: write to us about your research computing team.\n",
    # doubled on purpose, as they are in a real weekly of 188 issues: emphasis, names, two
    # clauses, a word and its hyphenated or longer neighbour, three in a row
    "Research computing is much (much much) broader; many many factors; yes yes, AI.\n",
    "We call it The Workshop Workshop.\n",
    "If the topic interests you you should read it; from it it's clear.\n",
    "Run it on on-prem systems, not in in-person meetings. We're re-connecting.\n",
    "I hate hate hated threads; this is research, after all, ho ho ho.\n",
    "Use `**kwargs` in code and `[x](a b)` too:\n\n```\n[x](a b) **open\nthe the\n```\n",
]


@pytest.mark.parametrize("text", WRITTEN_RIGHT, ids=lambda v: v[:30])
def test_the_same_things_written_right_pass_quietly(write_issue, make_settings, text):
    new_rules = {
        "link-malformed", "markdown-debris", "link-local", "link-private", "doubled-word",
        "merge-tag-unknown", "header-cut", "template-unchanged",
    }  # fmt: skip
    assert [f for f in found(write_issue, make_settings, text) if f[0] in new_rules] == []
