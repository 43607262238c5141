"""Fenced code with a language is highlighted (Pygments, inline colours), its text kept byte for
byte in the HTML and in the text part; unknown languages stay plain; the colours read on their
background in light and dark mode, in real Chromium at phone width."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT
from mailer.checks.process import process
from mailer.core.config import load_settings
from mailer.issue.sanitize import sanitize_html
from mailer.render import highlight as hl

PYTHON = (
    "def greet(name: str) -> str:\n"
    "    # say hello, with  two spaces and a tab:\t<here>\n"
    '    return f"Hello, {name}!" & "more"  # a line that runs on past seventy-eight columns, '
    "as real code does\n"
    "\n"
    "    x = 0x1F  +  3.5e-2\n"
)
RUST = 'fn main() {\n    let v: Vec<u8> = vec![1, 2];\n    println!("{:?}", v); // ok\n}\n'
DIFF = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old line\n+new line\n context\n"


def issue(tmp_path: Path, body: str) -> Path:
    (tmp_path / "newsletter.toml").write_text(
        '[newsletter]\nname = "Field Notes"\nurl = "https://n.example.org"\n'
    )
    path = tmp_path / "2026-11-02-code.md"
    path.write_text("---\ntitle: Code\npreheader: Some code to read.\n---\n" + body)
    return path


def fenced(language: str, code: str) -> str:
    return f"```{language}\n{code}```\n\n"


def code_text(fragment: str) -> list[str]:
    """The text of each <code> block, as a browser shows it."""
    blocks = re.findall(r"<pre[^>]*><code[^>]*>(.*?)</code></pre>", fragment, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", block)) for block in blocks]


@pytest.mark.parametrize(
    ("language", "code"), [("python", PYTHON), ("rust", RUST), ("diff", DIFF), ("Swift", RUST)]
)
def test_highlighted_code_keeps_its_text_byte_for_byte(language, code):
    coloured = hl.highlight(code, language)
    assert coloured is not None and "<span style=" in coloured
    assert html.unescape(re.sub(r"<[^>]+>", "", coloured)) == code
    assert "\n</span>" not in coloured and '">\n' not in coloured  # no span across lines
    # the Markdown writer's output needs no sanitizer: it is what the sanitizer would write
    block = f'<pre><code class="language-{language}">{coloured}</code></pre>\n'
    assert sanitize_html(block) == block


def test_the_colours_follow_the_token():
    coloured = hl.highlight(PYTHON, "python") or ""
    assert f'<span style="{hl.KEYWORD[0]}">def</span> ' in coloured
    assert f'<span style="{hl.FUNCTION[0]}">greet</span>' in coloured
    assert f'<span style="{hl.COMMENT[0]}"># say hello' in coloured
    assert f'<span style="{hl.CONSTANT[0]}">0x1F</span>' in coloured
    diff = hl.highlight(DIFF, "diff") or ""
    assert f'<span style="{hl.DELETED[0]}">-old line</span>' in diff
    assert f'<span style="{hl.INSERTED[0]}">+new line</span>' in diff
    # names, operators and spaces stay the text's own colour: no span for them
    assert "<span" not in (hl.highlight("a = b", "python") or "")


@pytest.mark.parametrize("language", ["nonsense-lang", "text", "plain", ""])
def test_unknown_or_plain_languages_stay_plain(language):
    assert hl.highlight(PYTHON, language) is None


def contrast(one: str, other: str) -> float:
    def luminance(colour: str) -> float:
        rgb = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_colour_reads_on_its_background_in_light_and_dark_mode():
    css = (ROOT / "mailer" / "templates" / "email.css.j2").read_text()
    for light, dark in hl.STYLES:
        light_colour = re.search(r"(?:^|;)color:(#[0-9a-f]{6})", light)[1]
        dark_colour = re.search(r"(?:^|;)color:(#[0-9a-f]{6})", dark)[1]
        light_back = re.search(r"background-color:(#[0-9a-f]{6})", light)
        dark_back = re.search(r"background-color:(#[0-9a-f]{6})", dark)
        on_light = light_back[1] if light_back else hl.LIGHT_BACKGROUND
        on_dark = dark_back[1] if dark_back else hl.DARK_BACKGROUND
        assert contrast(light_colour, on_light) >= 4.5, light
        assert contrast(dark_colour, on_dark) >= 4.5, dark
        # the stylesheet gives each light colour its dark twin (HEADING shares CONSTANT's)
        rule = re.search(
            rf'span\[style\^="color:{light_colour}"\] \{{ color: {dark_colour} !important;', css
        )
        assert rule or (light, dark) == hl.HEADING, light


def test_an_email_without_coloured_code_carries_no_dark_colours_for_it(tmp_path):
    path = issue(tmp_path, fenced("", "plain code\n") + "Text.\n")
    settings = load_settings(tmp_path / "newsletter.toml", env={})
    assert "span[style" not in process(path, settings).html
    path = issue(tmp_path, fenced("python", PYTHON))
    assert 'span[style^="color:#cf222e"]' in process(path, settings).html


def test_the_text_part_holds_each_code_line_verbatim(tmp_path):
    path = issue(tmp_path, fenced("python", PYTHON) + fenced("", "  keep   these    spaces\n"))
    settings = load_settings(tmp_path / "newsletter.toml", env={})
    text = process(path, settings).text
    for line in [*PYTHON.splitlines(), "  keep   these    spaces"]:
        if line:
            assert f"\n{line}\n" in text or f"\n    {line}\n" in text, line


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_chromium_at_375_px_shows_the_code_exactly_and_in_colour(tmp_path, chromium, scheme):
    path = issue(tmp_path, "Some code:\n\n" + fenced("python", PYTHON) + fenced("rust", RUST))
    settings = load_settings(tmp_path / "newsletter.toml", env={})
    email = process(path, settings).html
    context = chromium.new_context(viewport={"width": 375, "height": 800}, color_scheme=scheme)
    page: Any = context.new_page()
    page.set_content(email, wait_until="load")
    shown = page.eval_on_selector_all("pre code", "els => els.map(e => e.textContent)")
    keyword = page.eval_on_selector(
        "pre code span", "e => [e.textContent, getComputedStyle(e).color]"
    )
    wide = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert shown == [PYTHON, RUST]
    expected = "rgb(207, 34, 46)" if scheme == "light" else "rgb(255, 123, 114)"
    assert keyword == ["def", expected]
    assert wide <= 375  # long lines wrap inside the box (pre-wrap): nothing overflows
