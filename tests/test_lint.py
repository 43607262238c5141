from __future__ import annotations

from mailer.issue import load_issue
from mailer.lint import GMAIL_CLIP_BYTES
from mailer.render import render_issue


def findings(write_issue, make_settings, text):
    settings = make_settings()
    return render_issue(load_issue(write_issue(text), settings), settings).findings


def test_clean_issue_has_no_findings(write_issue, make_settings):
    assert findings(write_issue, make_settings, "---\ntitle: T\ndate: 2024-01-01\n---\nHi\n") == ()


def test_forbidden_markup_is_reported_with_its_line(write_issue, make_settings):
    found = findings(
        write_issue,
        make_settings,
        "---\ntitle: T\ndate: 2024-01-01\n---\nHi\n\n<script>x()</script>\n\n"
        '<p onclick="y()">p</p>\n\n<iframe src="https://v.example"></iframe>\n',
    )
    assert [(f.rule, f.line) for f in found] == [
        ("forbidden-markup", 7),
        ("forbidden-markup", 9),
        ("forbidden-markup", 11),
    ]
    assert "<script>" in found[0].message and "onclick=" in found[1].message


def test_near_miss_front_matter_key(write_issue, make_settings):
    found = findings(
        write_issue,
        make_settings,
        "---\ntitle: T\ndate: 2024-01-01\nsubtitel: S\nauthor: me\n---\nHi\n",
    )
    assert [(f.rule, f.line, f.severity) for f in found] == [("front-matter-key", 4, "warning")]
    assert 'did you mean "subtitle"' in found[0].message


def test_size_over_gmail_clip_is_an_error(write_issue, make_settings):
    body = "\n\n".join(f"Paragraph {i} " + "word " * 40 for i in range(600))
    found = findings(write_issue, make_settings, f"---\ntitle: T\ndate: 2024-01-01\n---\n{body}\n")
    size = [f for f in found if f.rule == "size"]
    assert size and size[0].severity == "error" and "clips" in size[0].message
    assert GMAIL_CLIP_BYTES == 104448
