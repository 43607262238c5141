from __future__ import annotations

import re
import socket
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLE
from mailer.core.errors import TemplateError
from mailer.issue.load import load_issue
from mailer.render.pipeline import render_issue

SAMPLES = sorted((SAMPLE / "issues").glob("*.md"))
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "issues").glob("*.md"))
GOLDEN = ROOT / "tests" / "golden"


def tags(html: str) -> set[str]:
    """The element names in a document (text inside attribute values is not an element)."""
    found: set[str] = set()

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.add(tag)

    Collector().feed(html)
    return found


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("rendering tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.parametrize("source", SAMPLES + FIXTURES, ids=lambda p: p.stem)
def test_golden(source, repo_settings, update_golden, no_network):
    rendered = render_issue(load_issue(source, repo_settings), repo_settings)
    for suffix, actual in ((".html", rendered.html), (".txt", rendered.text)):
        expected_path = GOLDEN / f"{source.stem}{suffix}"
        if update_golden:
            expected_path.write_text(actual, encoding="utf-8")
        assert expected_path.exists(), f"run pytest --update-golden to create {expected_path.name}"
        assert actual == expected_path.read_text(encoding="utf-8"), (
            f"{source.name} renders differently from {expected_path.name}; "
            "if the change is intended, run pytest --update-golden and review the diff"
        )


def test_same_input_same_bytes_across_processes(tmp_path, sample_copy):
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        subprocess.run(
            [sys.executable, "-m", "mailer", "build", "issues", "-o", str(out), "--fresh"],
            check=True,
            capture_output=True,
            cwd=sample_copy,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
        )
        outputs.append(
            {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.suffix != ".json"}
        )
    assert outputs[0] == outputs[1] and len(outputs[0]) == 3 * len(SAMPLES)


@pytest.fixture
def rendered_sample(repo_settings):
    return render_issue(load_issue(SAMPLES[0], repo_settings), repo_settings)


def test_email_shape(rendered_sample):
    html = rendered_sample.html
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="en" dir="ltr"' in html
    assert '<meta name="viewport"' in html and "@media" in html
    assert "prefers-color-scheme:dark" in html and 'name="color-scheme"' in html
    assert "googleapis" not in html and "<link" not in html
    assert "<script" not in html
    # styles are inlined onto the content, not only in <style>
    assert re.search(r'<h2 id="managing-teams" style="[^"]*font-size:21px', html)
    assert re.search(
        r'<img src="https://labnotes.example.org/img/whiteboard.jpg" alt="A whiteboard'
        r'[^"]*" width="584" style="max-width:100%;height:auto;border:0"',
        html,
    )
    # preheader: hidden, padded, and the footer's unsubscribe merge tag passes through
    assert re.search(
        r'<div class="mailer-preheader"[^>]*display:none[^>]*>Notebooks versus wikis', html
    )
    assert "\u034f\u200c&nbsp;" * 50 in html
    assert 'href="{{ unsubscribe_url }}"' in html
    assert 'href="https://labnotes.example.org/issues/2026-11-06-first-issue/"' in html
    assert re.search(r'<a name="roundup"[^>]*></a>', html) and 'href="#roundup"' in html


ADDRESS = "Lab Notes, 100 Example Street, Toronto ON M5V 0A1, Canada"


def test_text_part_shape(rendered_sample):
    text = rendered_sample.text
    assert text.startswith("Lab Notes\n\n#1 - Why we write things down\n=====")
    assert "Unsubscribe: {{ unsubscribe_url }}" in text
    # the subtitle under the title, as in the HTML; the address ends the footer
    assert "=====\nNotebooks versus wikis; a small checklist" in text
    assert text.endswith("Unsubscribe: {{ unsubscribe_url }}\n" + ADDRESS + "\n")
    assert all(len(line) <= 78 or "://" in line for line in text.splitlines())
    assert "<" not in text.replace("Matrix<T>", "").replace("Vec<T>", "")


def test_body_is_never_a_template_and_front_matter_is_escaped(write_issue, make_settings):
    path = write_issue("""
        ---
        title: "<b>Bold</b> & {{ 7*7 }}"
        subtitle: "<script>x</script>"
        date: 2024-01-01
        ---
        Math: {{ 7*7 }} and {% if x %}tag{% endif %} and *|FNAME|*.
    """)
    settings = make_settings()
    rendered = render_issue(load_issue(path, settings), settings)
    assert "{{ 7*7 }}" in rendered.html and "49" not in rendered.html
    assert "{% if x %}tag{% endif %}" in rendered.html and "*|FNAME|*" in rendered.html
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp;" in rendered.html
    assert "b" not in tags(rendered.html) and "script" not in tags(rendered.html)
    assert "{{ 7*7 }}" in rendered.text


def test_screen_readers_get_the_title_not_its_escape_codes(write_issue, make_settings):
    # MRML writes the title into the aria-label as Rust source ("25\u{a0}June", "a\\b")
    path = write_issue(
        '---\ntitle: "#80 - 25\\u00a0June, a\\\\b, x\\u200dy"\ndate: 2024-01-01\n---\nHi\n'
    )
    settings = make_settings()
    rendered = render_issue(load_issue(path, settings), settings)
    assert 'aria-label="#80 - 25&nbsp;June, a\\b, x\u200dy"' in rendered.html


def test_malformed_raw_html_does_not_break_the_build(write_issue, make_settings):
    path = write_issue("""
        ---
        title: Broken HTML
        date: 2024-01-01
        ---
        <div><p>unclosed <b>bold

        A stray < sign and </span> a closing tag, <mj-section> even.

        Still here.
    """)
    settings = make_settings()
    rendered = render_issue(load_issue(path, settings), settings)
    assert "Still here." in rendered.html and "Still here." in rendered.text
    assert rendered.html.rstrip().endswith("</html>")


def test_rtl_language_from_front_matter(write_issue, make_settings):
    path = write_issue("---\ntitle: T\ndate: 2024-01-01\nlang: he\n---\nשלום\n")
    settings = make_settings(language="he")
    rendered = render_issue(load_issue(path, settings), settings)
    assert '<html lang="he" dir="rtl"' in rendered.html


def test_newsletter_templates_override_ours(tmp_path, write_issue):
    from mailer.core.config import load_settings

    (tmp_path / "newsletter.toml").write_text('[newsletter]\nname = "Mine"\n')
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "email.txt.j2").write_text("CUSTOM {{ issue.title }}\n{{ body }}\n")
    settings = load_settings(tmp_path / "newsletter.toml", env={})
    path = write_issue("---\ntitle: T\ndate: 2024-01-01\n---\nHello\n")
    assert render_issue(load_issue(path, settings), settings).text.startswith("CUSTOM T\nHello")


def test_template_errors_name_template_and_line(tmp_path, write_issue):
    from mailer.core.config import load_settings

    (tmp_path / "newsletter.toml").write_text("")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "email.txt.j2").write_text("ok\n{{ issue.nope }}\n")
    settings = load_settings(tmp_path / "newsletter.toml", env={})
    path = write_issue("---\ntitle: T\ndate: 2024-01-01\n---\nHello\n")
    with pytest.raises(TemplateError) as caught:
        render_issue(load_issue(path, settings), settings)
    assert str(caught.value).startswith(f"{tmp_path / 'templates' / 'email.txt.j2'}:2: ")
    assert "nope" in str(caught.value)


def test_golden_files_have_no_orphans():
    names = {p.stem for p in SAMPLES + FIXTURES}
    assert {p.stem for p in GOLDEN.iterdir()} <= names, "delete golden files of removed issues"


def test_fixture_paths_exist():
    assert SAMPLES, "issues/ must hold the sample issues"
    assert all(isinstance(p, Path) for p in FIXTURES)


def test_the_library_front_door(repo_settings):
    import mailer

    rendered = mailer.render_issue(mailer.load_issue(SAMPLES[0], repo_settings), repo_settings)
    assert rendered.subject.startswith("#1") and mailer.__version__
