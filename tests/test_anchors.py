"""In-page link targets (mailer/render/anchors.py) and the `anchor-app` warning."""

from __future__ import annotations

from mailer.checks import check_rendered
from mailer.core.gatepolicy import Policy
from mailer.issue.load import load_issue
from mailer.render.anchors import name_targets
from mailer.render.pipeline import render_issue


def test_targets_get_a_name_and_ids_are_unique():
    fragment = (
        '<p><a id="tools"></a>See <a href="#tools">tools</a>, <a href="#fn-1">1</a>.</p>\n'
        '<h2 id="tools">Tools</h2>\n<h2 id="tools">Tools</h2>\n<h2 id="tools-2">Tools 2</h2>\n'
        '<h2 id="more">More</h2>\n<div class="footnote" id="fn-1"><p>Note</p></div>'
    )
    named = name_targets(fragment)
    assert '<a id="tools" name="tools"></a>' in named
    assert '<h2 id="tools-3">Tools</h2>\n<h2 id="tools-4">Tools</h2>' in named
    assert '<h2 id="tools-2">Tools 2</h2>' in named  # written so, kept
    assert '<h2 id="more">More</h2>' in named  # no link goes there: no <a name>
    assert '<div class="footnote" id="fn-1"><a name="fn-1"></a><p>Note</p></div>' in named


def test_an_existing_name_is_not_repeated_and_no_id_means_no_work():
    fragment = '<a name="x"></a><h2 id="x">X</h2><a href="#x">up</a>'
    assert name_targets(fragment) == fragment
    assert name_targets("<p>plain</p>") == "<p>plain</p>"


def test_the_email_gets_both_and_check_warns_once_about_gmail_for_ios(write_issue, make_settings):
    settings = make_settings(policy=Policy(select=("anchor-app",)))  # off unless asked for
    source = write_issue(
        "---\ntitle: T\ndate: 2026-01-01\n---\n[Jump](#roundup) or [there](#roundup).\n\n"
        "## Roundup\n\nItems.\n"
    )
    rendered = check_rendered(render_issue(load_issue(source, settings), settings), settings)
    assert '<h2 id="roundup"' in rendered.html and '<a name="roundup"' in rendered.html
    found = [f for f in rendered.findings if f.rule == "anchor-app"]
    assert len(found) == 1 and found[0].line == 5 and "Gmail for iOS" in found[0].message
    assert not [f for f in rendered.findings if f.rule == "anchor-missing"]
