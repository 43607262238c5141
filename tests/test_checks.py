"""Each rule of `mailer check`: a case that fails it and one that passes."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from browser import png

from mailer.checks import check_rendered
from mailer.checks.issues import check_paths
from mailer.checks.report import format_github, format_json, format_text
from mailer.checks.runner import Candidate, run_rules
from mailer.core.finding import Finding
from mailer.issue.load import load_issue
from mailer.issue.markdown import parse_markdown
from mailer.render.pipeline import render_issue

HEADER = "---\ntitle: T\nsubtitle: S\ndate: 2024-01-01\n{extra}---\n"


def gate(path, settings):
    """The gate's findings for one issue file."""
    return check_rendered(render_issue(load_issue(path, settings), settings), settings).findings


def findings(write_issue, make_settings, body, extra="", **settings):
    s = make_settings(**settings)
    path = write_issue(HEADER.format(extra=extra) + body)
    return check_rendered(render_issue(load_issue(path, s), s), s).findings


def rules(found):
    return {(f.rule, f.severity) for f in found}


CASES = {
    # rule: (failing body, passing body, extra front matter for the failing case, settings)
    "forbidden-markup": ("<script>x()</script>\n", "<b>fine</b>\n", "", {}),
    "template-leftover": (
        "{% include refs.md %} and {{ page.title }} {:.center}\n",
        "Hi {{ subscriber.email }} {% if subscriber.tags %}x{% endif %}\n",
        "",
        {},
    ),
    "placeholder": (
        "Intro TK.\n\nTODO: write this.\n",
        "A todo list; see [the FIXME tracker](https://x.example).\n",
        "",
        {},
    ),
    "reference-unresolved": (
        "See [the docs][docs].\n",
        "See [the docs][docs].\n\n[docs]: https://x.example\n",
        "",
        {},
    ),
    "link-broken": (
        "[a]() [b](#) [c](http://) [d](/rel/)\n",
        "[d](/rel/) [e](https://x.example)\n",
        "",
        {},
    ),
    "anchor-missing": (
        "[jump](#nowhere)\n",
        '[jump](#here) [heading](#a-heading)\n\n<a name="here"></a>\n\n## A heading\n',
        "",
        {},
    ),
    # fired only where https is known to work: the same site over https in the issue, or a
    # site on the HSTS preload list (an http-only site is no mistake)
    "link-insecure": (
        "[old](http://x.example/) and [new](https://x.example/b) [gh](http://github.com/a)\n",
        "[new](https://x.example/) [small](http://small.example/)\n",
        "",
        {},
    ),
    "link-text": (
        "Read [here](https://x.example), [here](https://x.example/z) or <https://x.example/y>.\n",
        "Read [the guide](https://x.example), or the notes [here](https://x.example/n).\n",
        "",
        {},
    ),
    "image-alt": (
        "![](https://x.example/a.png) ![screenshot](https://x.example/b.png) "
        '![c.png](https://x.example/c.png) <img src="https://x.example/d.png">\n',
        "![A chart of costs](https://x.example/a.png)\n",
        "",
        {},
    ),
    "image-src": (
        "![A chart](/img/a.png) ![Old](http://x.example/a.png)\n",
        "![A chart](https://news.example/img/a.png)\n",
        "",
        {},
    ),
    "subject": ("Body\n", "Body\n", 'subject: "' + "long " * 25 + '"\n', {}),
    "front-matter-key": ("Body\n", "Body\n", "subtitel: typo\n", {}),
    "hero-image": ("Body\n", "Body\n", "hero-img: not a url at all\n", {}),
    "css-support": (
        '<p style="float: left; position: fixed">x</p>\n',
        '<p style="color: red">x</p>\n',
        "",
        {},
    ),
    "heading-skip": ("## Two\n\n#### Four\n", "## Two\n\n### Three\n", "", {}),
    "layout-table": (
        "<table><tr><td>a</td></tr></table>\n",
        '<table role="presentation"><tr><td>a</td></tr></table>\n\n'
        "<table><tr><th>h</th></tr></table>\n",
        "",
        {},
    ),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fails_and_passes(rule, write_issue, make_settings):
    failing, passing, extra, settings = CASES[rule]
    bad = findings(write_issue, make_settings, failing, extra, **settings)
    assert rule in {f.rule for f in bad}, bad
    assert all(f.line is None or f.line >= 1 for f in bad)
    good_settings = {"url": "https://news.example"} if rule in ("link-broken", "image-src") else {}
    good = findings(write_issue, make_settings, passing, **good_settings)
    assert rule not in {f.rule for f in good}, good


def test_findings_carry_lines_and_clear_messages(write_issue, make_settings):
    found = findings(write_issue, make_settings, "Hi\n\n[jump](#nowhere)\n\nTODO\n")
    by_rule = {f.rule: f for f in found}
    assert by_rule["anchor-missing"].line == 8 and by_rule["placeholder"].line == 10
    assert 'add <a name="nowhere"></a>' in by_rule["anchor-missing"].message


def test_raw_html_comments_and_breaks_do_not_hide_links(write_issue, make_settings):
    body = (
        "<!-- markdownlint-disable MD033 -->\n\nA<br/>B\n\n"
        '<p><a href="http://github.com">\n<!-- note -->\nclick here</a></p>\n\n'
        "<div>\n<!-- open\n<!-- x -->\n<a href=''>gone</a> -->\n</div>\n"
    )
    found = findings(write_issue, make_settings, body)
    by_rule = {f.rule: f for f in found}
    assert by_rule["link-insecure"].line == 10
    assert "'click here'" in by_rule["link-text"].message
    assert by_rule["link-broken"].line == 14  # the comment closed at the first -->


def test_severities(write_issue, make_settings):
    found = rules(
        findings(write_issue, make_settings, "[x](http://github.com) {% include x %} {: .c}\n")
    )
    assert ("link-insecure", "warning") in found
    assert ("template-leftover", "error") in found and ("template-leftover", "warning") in found


def test_merge_tags_depend_on_the_provider(write_issue, make_settings):
    body = "Hi {{ .Subscriber.FirstName }} {{ UnsubscribeURL }}\n"
    assert "template-leftover" in {f.rule for f in findings(write_issue, make_settings, body)}
    listmonk = findings(write_issue, make_settings, body, provider="listmonk")
    assert "template-leftover" not in {f.rule for f in listmonk}


def test_preheader_and_size(write_issue, make_settings):
    s = make_settings()
    path = write_issue(
        "---\ntitle: T\ndate: 2024-01-01\n---\n"
        + "\n\n".join(f"Paragraph {i} " + "word " * 40 for i in range(600))
    )
    found = rules(check_rendered(render_issue(load_issue(path, s), s), s).findings)
    assert ("size", "error") in found
    assert ("preheader", "warning") not in found  # the body opens with words: they preview


@pytest.mark.parametrize(
    ("body", "warned"),
    [
        ("Hi! This week: three job ads people finish reading, and a patient telescope.\n", False),
        ("Hi!\n", True),  # a preview of two words, then the footer's
        ("https://example.org/a-link-alone-at-the-top-of-the-issue-body\n\nMore text.\n", True),
        ("A long title for this issue. And then the body goes on from there at length.\n", True),
        ("![A chart](https://x.example/c.png)\n", True),  # no text at all
    ],
)
def test_no_preheader_is_said_only_when_the_inbox_would_show_little(
    write_issue, make_settings, body, warned
):
    s = make_settings()
    path = write_issue(f"---\ntitle: A long title for this issue\ndate: 2024-01-01\n---\n{body}")
    found = rules(check_rendered(render_issue(load_issue(path, s), s), s).findings)
    assert (("preheader", "warning") in found) == warned


def test_schedule_past_only_for_recent_issues(write_issue, make_settings):
    s = make_settings()
    recent = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    old, future = "2020-01-01", (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    for day, expected in ((recent, True), (old, False), (future, False)):
        path = write_issue(f"---\ntitle: T\nsubtitle: S\ndate: {day}\n---\nBody\n")
        got = "schedule-past" in {
            f.rule for f in check_rendered(render_issue(load_issue(path, s), s), s).findings
        }
        assert got is expected, day
    draft = write_issue(f"---\ntitle: T\nsubtitle: S\ndate: {recent}\ndraft: true\n---\nBody\n")
    assert "schedule-past" not in {
        f.rule for f in check_rendered(render_issue(load_issue(draft, s), s), s).findings
    }


def test_local_files_get_their_own_width_and_no_warning(tmp_path, write_issue, make_settings):
    (tmp_path / "wide.png").write_bytes(png(1200, 10))
    (tmp_path / "narrow.png").write_bytes(png(300, 10))
    settings = make_settings(url="https://n.example")
    body = (
        "![Wide chart](wide.png) ![Narrow](narrow.png) "
        '<img src="wide.png" width="500" alt="Sized">\n\n![Alone](narrow.png)\n'
    )
    issue = load_issue(write_issue(HEADER.format(extra="") + body), settings)
    rendered = check_rendered(render_issue(issue, settings), settings)
    assert not [f for f in rendered.findings if f.rule in ("image-width", "image-src")]
    widths = {f.src.rsplit("/", 1)[-1] + str(f.given): f.width for f in rendered.images}
    # in a line of text or alone, never wider than the file nor the column, never stretched
    assert widths == {
        "wide.pngNone": settings.content_width,
        "narrow.pngNone": 300,
        "wide.png500": 500,
    }


def test_same_day_across_issues(tmp_path, make_settings):
    for name in ("a", "b"):
        (tmp_path / f"{name}.md").write_text(HEADER.format(extra="") + "Body\n")
    result = check_paths([tmp_path], make_settings())
    assert [f.rule for f in result.findings] == ["schedule-same-day"]


def test_a_crashing_rule_becomes_a_finding(write_issue, make_settings):
    s = make_settings()
    issue = load_issue(write_issue(HEADER.format(extra="") + "Body\n"), s)
    rendered = render_issue(issue, s)

    def check_exploding(subject):
        raise ValueError("odd input")
        yield  # pragma: no cover

    candidate = Candidate(issue, parse_markdown(issue.body), rendered, s)
    with pytest.raises(ValueError, match="odd input"):  # under the tests (and --debug): loud
        run_rules(candidate, [check_exploding])
    from mailer.checks import runner

    runner.RAISE_RULE_ERRORS = False  # for users: a finding, the other rules still run
    found = run_rules(candidate, [check_exploding])
    assert found[0].rule == "exploding" and "could not run" in found[0].message


def test_unloadable_issue_is_an_error_finding(tmp_path, make_settings):
    (tmp_path / "bad.md").write_text("---\ntitle: [oops\ndate: 2024-01-01\n---\nx\n")
    result = check_paths([tmp_path], make_settings())
    assert result.failed() and result.findings[0].line == 3 and result.findings[0].rule == "issue"


def test_formats():
    finding = Finding(
        __import__("pathlib").Path("issues/a.md"), 3, "link-text", "warning", "bad, really: 100%"
    )
    from mailer.checks.report import CheckResult

    result = CheckResult(1, (finding,))
    assert json.loads(format_json(result)) == [finding.as_dict()]
    assert format_github([finding]) == (
        "::warning file=issues/a.md,line=3,title=link-text::bad, really: 100%25"
    )
    text = format_text(result)
    assert text.splitlines()[0] == "issues/a.md (0 errors, 1 warning)"
    assert text.splitlines()[-1] == "1 issue checked: 0 errors, 1 warning"
    assert not result.failed() and result.failed(strict=True)


def test_cli_exit_codes_and_samples(tmp_path):
    from conftest import SAMPLE

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "mailer", "check", *args],
            cwd=SAMPLE,
            capture_output=True,
            text=True,
        )

    assert run("issues").returncode == 0
    (tmp_path / "warn.md").write_text(HEADER.format(extra="") + "[click here](https://x.example)\n")
    assert run(str(tmp_path)).returncode == 0
    assert run(str(tmp_path), "--strict").returncode == 1
    gh = run(str(tmp_path), "--format", "github")
    assert gh.stdout.startswith(f"::warning file={tmp_path / 'warn.md'},line=6,title=link-text::")


def test_vendored_css_table_names_its_source_and_licence():
    from mailer.checks.email import css_support

    table = css_support()
    assert "caniemail" in table["source"] and table["license"].startswith("MIT")
    assert set(table["clients"]) == {"gmail", "outlook", "apple-mail"}
    assert table["properties"]["float"]["outlook"] == "n"
    assert len(table["properties"]) > 50


def test_html_lang_fails_when_a_template_drops_it(tmp_path, write_issue):
    from mailer.core.config import load_settings
    from mailer.render.templating import BUILTIN

    path = write_issue("---\ntitle: T\nsubtitle: S\ndate: 2024-01-01\n---\nHi\n")
    (tmp_path / "newsletter.toml").write_text("")
    settings = load_settings(tmp_path / "newsletter.toml", env={})
    assert "html-lang" not in {
        f.rule
        for f in check_rendered(
            render_issue(load_issue(path, settings), settings), settings
        ).findings
    }
    (tmp_path / "templates").mkdir()
    layout = (BUILTIN / "email.mjml.j2").read_text()
    (tmp_path / "templates" / "email.mjml.j2").write_text(
        layout.replace('<mjml lang="{{ issue.language }}"', "<mjml")
    )
    found = check_rendered(render_issue(load_issue(path, settings), settings), settings).findings
    assert [f.severity for f in found if f.rule == "html-lang"] == ["error"]


def test_same_day_passes_for_different_days_and_drafts(tmp_path, make_settings):
    (tmp_path / "a.md").write_text(HEADER.format(extra="") + "Body\n")
    (tmp_path / "b.md").write_text(
        HEADER.replace("2024-01-01", "2024-01-08").format(extra="") + "Body\n"
    )
    (tmp_path / "c.md").write_text(HEADER.format(extra="draft: true\n") + "Body\n")
    assert check_paths([tmp_path], make_settings()).findings == ()


def test_size_and_preheader_pass_for_a_normal_issue(write_issue, make_settings):
    found = {f.rule for f in findings(write_issue, make_settings, "A short issue.\n")}
    assert "size" not in found and "preheader" not in found


@pytest.mark.parametrize(
    ("body", "reported"),
    [
        ("[WIP][RFC] A new parser\n", False),  # tags written as text
        ("[ZH][EN] 双语 bilingual notes\n", False),
        ("See [WIP][RFCS]\n\n[rfcs2]: https://x.example/rfc\n", True),  # near a defined label
        ("[std][BTree] map\n", True),  # a reference link whose label is missing
        ("[The guide][guide] is here\n", True),
    ],
)
def test_bracket_tags_are_text_and_broken_references_are_errors(
    write_issue, make_settings, body, reported
):
    found = findings(write_issue, make_settings, body)
    assert ("reference-unresolved" in {f.rule for f in found}) == reported, found
