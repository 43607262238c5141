"""The layout shortcut (compile and inline once per shape) gives the bytes of the long way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import CORPUS, ROOT, SAMPLE
from mailer.core.config import load_settings
from mailer.issue.load import find_issues, load_issue
from mailer.issue.markdown import parse_markdown
from mailer.issue.sanitize import sanitize_html
from mailer.render import layout, layout_shapes
from mailer.render.htmlwriter import markdown_to_html
from mailer.render.templating import BUILTIN

BODY = "Hello <b>there</b>.\n\n## A heading\n\n- [a link](https://x.example)\n\n> quoted `code`\n"

TRICKY = [
    "Plain title",
    "Quotes \"double\" and 'single'",
    "Ampersands & <angle> brackets > here",
    "Ünïcode, 中文标题, emoji 🎉 and a dash —",
    "Back\\slash",  # MRML escapes a backslash in attributes: the long way
    "Non\xa0breaking",  # not printable to Python: the long way
    "\u0301starts with a combining accent",
    "MAILER-SLOT-title-c1d8a4 in the title",
]


def dumps(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML string


def both_ways(issue, settings, body=BODY):
    fragment = sanitize_html(markdown_to_html(parse_markdown(body)).html, settings.url)
    context = layout.layout_context(issue, settings)
    source = layout.layout_source(settings, context)
    slow = layout.compile_email(source, fragment)
    fast = layout_shapes.email(issue, settings, context, source, fragment) or slow
    return fast, slow


@pytest.mark.parametrize("title", TRICKY)
@pytest.mark.parametrize("subtitle", ["", "A preheader & more"])
def test_shortcut_matches_the_long_way(title, subtitle, write_issue, make_settings):
    settings = make_settings(url="https://news.example/letter")
    front = f"title: {dumps(title)}\nsubtitle: {dumps(subtitle)}\n"
    path = write_issue(f"---\n{front}date: 2024-03-07\n---\n{BODY}")
    issue = load_issue(path, settings)
    assert issue.title == title
    fast, slow = both_ways(issue, settings)
    assert fast == slow


def test_plain_values_take_the_shortcut(write_issue, make_settings):
    settings = make_settings()
    issue = load_issue(write_issue(f"---\ntitle: 'A & B'\ndate: 2024-03-07\n---\n{BODY}"), settings)
    context = layout.layout_context(issue, settings)
    source = layout.layout_source(settings, context)
    found = layout_shapes._marked(issue, settings, context, source)
    assert found is not None and "A & B" in found[1].values()
    both_ways(issue, settings)
    assert isinstance(layout_shapes._SHAPES[found[0]], layout_shapes._Shape)


def test_a_value_a_template_adds_is_a_slot_by_itself(tmp_path, write_issue, monkeypatch):
    """A custom layout that shows a front-matter value (an author) keeps one shape for every
    issue: the value is found and filled in, never baked into a shape of its own."""
    monkeypatch.setattr(layout_shapes, "_SHAPES", {})
    mjml = (BUILTIN / "email.mjml.j2").read_text(encoding="utf-8")
    assert "{{ issue.title }}" in mjml
    mjml = mjml.replace("{{ issue.title }}", "{{ issue.title }} by {{ issue.meta.author }}", 1)
    settings = custom(tmp_path, mjml=mjml)
    for n, author in enumerate(("Ada", "Grace", "Edsger")):
        text = f"---\ntitle: T{n}\ndate: 2024-03-07\nauthor: {author}\n---\n{BODY}"
        fast, slow = both_ways(load_issue(write_issue(text, f"{n}.md"), settings), settings)
        assert fast == slow and f"T{n} by {author}" in fast
    (shape,) = layout_shapes._SHAPES.values()  # one shape, and it is used
    assert isinstance(shape, layout_shapes._Shape)


def test_a_shape_that_differs_on_its_first_issue_is_never_used(
    write_issue, make_settings, monkeypatch
):
    # as if MJML changed a value in a way the rules do not foresee
    monkeypatch.setattr(layout_shapes, "_SHAPES", {})
    monkeypatch.setattr(layout_shapes, "inliner_text", lambda value: value.upper())
    settings = make_settings()
    for n, title in enumerate(("First", "Second")):
        path = write_issue(f"---\ntitle: {title}\ndate: 2024-03-07\n---\n{BODY}", f"{n}.md")
        fast, slow = both_ways(load_issue(path, settings), settings)
        assert fast == slow and "FIRST" not in fast
    assert list(layout_shapes._SHAPES.values()) == [None]


def custom(tmp_path, mjml=None, css=None, toml=""):
    templates = tmp_path / "templates"
    templates.mkdir(exist_ok=True)
    if mjml is not None:
        (templates / "email.mjml.j2").write_text(mjml)
    if css is not None:
        (templates / "email.css.j2").write_text(css)
    (tmp_path / "newsletter.toml").write_text(toml)
    return load_settings(tmp_path / "newsletter.toml", env={})


def test_templates_that_test_or_transform_a_value_are_still_exact(tmp_path, write_issue):
    mjml = (BUILTIN / "email.mjml.j2").read_text()
    mjml = mjml.replace(
        "{{ issue.title }}</h1>",
        "{% if issue.title|length > 10 %}{{ issue.title|upper }}{% else %}short{% endif %}</h1>",
    )
    settings = custom(tmp_path, mjml=mjml)
    for title in ("Tiny", "A rather long title"):
        path = write_issue(f"---\ntitle: {title}\ndate: 2024-03-07\n---\n{BODY}", f"{title}.md")
        fast, slow = both_ways(load_issue(path, settings), settings)
        assert fast == slow
        assert ("A RATHER LONG TITLE" in fast) == (title != "Tiny")


def test_values_in_mjml_component_attributes(tmp_path, write_issue, monkeypatch):
    monkeypatch.setattr(layout_shapes, "_SHAPES", {})
    mjml = (BUILTIN / "email.mjml.j2").read_text()
    mjml = mjml.replace(
        '        <mj-text css-class="mailer-content"',
        '        <mj-image src="https://x.example/a.png" alt="{{ issue.title }}"'
        ' title="{{ issue.preheader }}" href="{{ archive_url }}" />\n'
        '        <mj-button href="{{ archive_url }}" title="{{ issue.subject }}">'
        "{{ issue.title }}</mj-button>\n"
        '        <mj-text css-class="mailer-content"',
    )
    # an archive address with an escaped space, a query and an ampersand (a raw space or a
    # quote is refused in the settings)
    settings = custom(
        tmp_path, mjml=mjml, toml='[newsletter]\nurl = "https://x.example/a%20b?q=1&r=2"\n'
    )
    for n, title in enumerate(TRICKY):
        front = f"title: {dumps(title)}\nsubtitle: {dumps(title + ' &')}\nslug: s-{n}\n"
        path = write_issue(f"---\n{front}date: 2024-03-07\n---\n{BODY}", f"{n}.md")
        issue = load_issue(path, settings)
        assert settings.archive_url(issue.slug).startswith("https://x.example/a%20b?q=1&r=2")
        fast, slow = both_ways(issue, settings)
        assert fast == slow
    assert any(isinstance(shape, layout_shapes._Shape) for shape in layout_shapes._SHAPES.values())


def test_positional_selectors_take_the_long_way(tmp_path, write_issue):
    css = (BUILTIN / "email.css.j2").read_text() + (
        "\n.mailer-card + .mailer-card .mailer-content p { color: #123456; }\n"
        "tr:first-child .mailer-content li { color: #654321; }\n"
    )
    settings = custom(tmp_path, css=css)
    path = write_issue(f"---\ntitle: T\ndate: 2024-03-07\n---\n{BODY}\n\nA paragraph.\n")
    fast, slow = both_ways(load_issue(path, settings), settings)
    assert fast == slow


def real_issue_folders() -> list[Path]:
    """The shared corpus when it is beside the project, and always our own sample issues and
    fixtures: the shortcut's check never skips."""
    corpus = sorted(p for p in CORPUS.rglob("*") if p.is_dir()) if CORPUS.is_dir() else []
    return [*corpus, ROOT / "issues", ROOT / "tests/fixtures/issues", SAMPLE / "issues"]


def test_every_real_issue_gives_the_same_bytes_both_ways(make_settings):
    short = total = 0
    for settings in (make_settings(), make_settings(url="https://news.example/")):
        for folder in real_issue_folders():
            paths = [p for p in folder.iterdir() if p.suffix == ".md"]
            for path in find_issues(paths) if paths else ():
                issue = load_issue(path, settings)
                body = sanitize_html(
                    markdown_to_html(parse_markdown(issue.body)).html, settings.url
                )
                context = layout.layout_context(issue, settings)
                source = layout.layout_source(settings, context)
                fast = layout_shapes.email(issue, settings, context, source, body)
                total += 1
                if fast is not None:
                    short += 1
                    assert fast == layout.compile_email(source, body), path
    assert short > total * 0.9  # nearly every real issue takes the shortcut: not vacuous


def test_every_per_issue_value_of_the_layout_context_is_a_slot(write_issue, make_settings):
    """A value layout_context makes from the issue must be a slot (or an empty/non-empty
    switch, like the preheader's padding): otherwise each issue would be a shape of its own."""
    settings = make_settings(url="https://news.example/")
    one = load_issue(
        write_issue("---\ntitle: One\nsubtitle: S1\ndate: 2024-03-07\n---\nA\n", "a.md"), settings
    )
    two = load_issue(
        write_issue("---\ntitle: Two\nsubtitle: S2\ndate: 2025-04-08\n---\nB\n", "b.md"), settings
    )
    first, second = layout.layout_context(one, settings), layout.layout_context(two, settings)
    differ = {key for key in first if first[key] != second[key]}
    assert differ - {"issue"} == set(layout_shapes._CONTEXT_SLOTS)
