from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from mailer.core.errors import IssueError
from mailer.issue.load import find_issues, load_issue


def test_yaml_front_matter_like_the_reference_corpus(write_issue, make_settings):
    path = write_issue("""
        ---
        title: "#12 - Ten things"
        subtitle: "One; two; three"
        date: 2024-05-03
        layout: email
        hero-img: https://example.org/card.png
        ---

        Body text.
    """)
    issue = load_issue(path, make_settings(timezone="Europe/Berlin"))
    assert issue.title == issue.subject == "#12 - Ten things"
    assert issue.preheader == "One; two; three"
    assert issue.date == date(2024, 5, 3)
    assert issue.send_at == datetime.fromisoformat("2024-05-03T09:00:00+02:00")
    assert issue.hero_image == "https://example.org/card.png"
    assert issue.slug == "issue" and not issue.draft
    assert issue.body_line == 8 and issue.body.lstrip().startswith("Body text.")


def test_overrides_and_keys_are_case_insensitive(write_issue, make_settings):
    path = write_issue("""
        ---
        Title: Weekly
        SUBJECT: "A better subject"
        Preheader: Read me
        Date: 2024-05-03
        Send-At: 2024-05-02T18:30:00-04:00
        draft: true
        slug: week-18
        ---
        Body.
    """)
    issue = load_issue(path, make_settings())
    assert (issue.subject, issue.preheader, issue.slug, issue.draft) == (
        "A better subject",
        "Read me",
        "week-18",
        True,
    )
    assert issue.send_at.utcoffset() == timedelta(hours=-4)
    assert issue.send_at.hour == 18


def test_toml_front_matter(write_issue, make_settings):
    path = write_issue("""
        +++
        title = "Hugo style"
        date = 2023-01-02
        +++
        Body.
    """)
    issue = load_issue(path, make_settings())
    assert issue.title == "Hugo style" and issue.date == date(2023, 1, 2)
    assert issue.body_line == 5


def test_pelican_header_block(write_issue, make_settings):
    path = write_issue("""
        Title: This Week 1
        Date: 2013-06-07 18:46
        Tags: a, b

        Hello.
    """)
    issue = load_issue(path, make_settings())
    assert issue.title == "This Week 1"
    assert issue.send_at.hour == 18 and issue.send_at.minute == 46
    assert issue.meta["tags"] == "a, b"
    assert issue.body_line == 5


def test_date_from_jekyll_file_name(write_issue, make_settings):
    path = write_issue("---\ntitle: Dated by name\n---\nBody.\n", name="2015-12-06-issue-0.md")
    assert load_issue(path, make_settings()).date == date(2015, 12, 6)


def test_bom_and_crlf_are_fine(write_issue, make_settings):
    path = write_issue(b"\xef\xbb\xbf---\r\ntitle: CRLF\r\ndate: 2024-01-01\r\n---\r\nLine one\r\n")
    issue = load_issue(path, make_settings())
    assert issue.title == "CRLF" and issue.body == "Line one\n"


def test_unknown_keys_are_kept_with_lines(write_issue, make_settings):
    path = write_issue("---\ntitle: T\ndate: 2024-01-01\nsubtitel: typo\n---\nBody\n")
    issue = load_issue(path, make_settings())
    assert issue.meta["subtitel"] == "typo" and issue.line_of("subtitel") == 4


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("---\ntitle: [unclosed\ndate: 2024-01-01\n---\nBody\n", 3, "front matter"),
        ("---\ntitle: 2024\ndate: 2024-01-01\n---\nBody\n", 2, '"title" must be text'),
        ("---\ntitle: T\ndate: May 3rd\n---\nBody\n", 3, '"date" is not a date'),
        ("---\ntitle: T\ndate: 2024-01-01\ndraft: maybe\n---\nBody\n", 4, '"draft" must be true'),
        (
            "---\ntitle: T\ndate: 2024-01-01\nslug: has space\n---\nBody\n",
            4,
            '"slug" may hold only',
        ),
        ("---\ntitle: T\ndate: 2024-01-01\n---\n\n  \n", 5, "no body"),
        ("Just text, no header.\n", 1, "no front matter"),
        ("---\ntitle: T\ndate: 2024-01-01\nBody without closing\n", 1, "never closed"),
        ("---\ntitle: T\n---\nBody\n", 1, "no 'date'"),
        ("+++\ntitle = \n+++\nBody\n", 2, "front matter"),
    ],
)
def test_bad_input_names_file_and_line(write_issue, make_settings, text, line, message):
    path = write_issue(text)
    with pytest.raises(IssueError) as caught:
        load_issue(path, make_settings())
    assert caught.value.line == line
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_non_utf8_bytes(write_issue, make_settings):
    path = write_issue(b"---\ntitle: T\ndate: 2024-01-01\n---\nCaf\xe9\n")
    with pytest.raises(IssueError, match="not UTF-8") as caught:
        load_issue(path, make_settings())
    assert caught.value.line == 5


def test_find_issues(tmp_path):
    (tmp_path / "a.md").write_text("x")
    (tmp_path / "b.markdown").write_text("x")
    (tmp_path / "notes.txt").write_text("x")
    assert [p.name for p in find_issues([tmp_path])] == ["a.md", "b.markdown"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(IssueError, match="no issue files"):
        find_issues([empty])
    with pytest.raises(IssueError, match="no such file"):
        find_issues([tmp_path / "missing.md"])


def test_blank_lines_after_the_header_keep_body_lines_right(write_issue, make_settings):
    path = write_issue("---\ntitle: T\ndate: 2024-01-01\n---   \n\n\nBody on line 7\n")
    issue = load_issue(path, make_settings())
    assert issue.body_line == 5 and issue.body == "\n\nBody on line 7\n"


def test_send_at_with_a_zone_name(write_issue, make_settings):
    path = write_issue(
        "---\ntitle: T\ndate: 2026-11-20\nsend_at: 2026-11-20 07:30 Europe/Berlin\n---\nBody\n"
    )
    issue = load_issue(path, make_settings(timezone="America/Toronto"))
    assert issue.send_at.isoformat() == "2026-11-20T07:30:00+01:00"
    assert str(issue.send_at.tzinfo) == "Europe/Berlin"


def test_a_missing_title_comes_from_the_file_name_as_in_jekyll(write_issue, make_settings):
    from mailer.checks import check_rendered
    from mailer.render.pipeline import render_issue

    path = write_issue("---\ndate: 2026-11-20\n---\nBody\n", "2026-11-20-hiring-and-metrics.md")
    issue = load_issue(path, make_settings())
    assert issue.title == issue.subject == "Hiring and metrics" and issue.titled_by_name
    findings = check_rendered(render_issue(issue, make_settings()), make_settings()).findings
    assert [f.line for f in findings if f.rule == "title"] == [1]
    with pytest.raises(IssueError, match="'title' is missing"):
        load_issue(
            write_issue("---\ndate: 2026-11-20\n---\nBody\n", "2026-11-20-.md"), make_settings()
        )
