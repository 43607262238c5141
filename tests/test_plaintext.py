from __future__ import annotations

import re

from mailer.issue.markdown import parse_markdown
from mailer.render.plaintext import markdown_to_text
from mailer.render.wrapping import wrap


def text(md: str, base: str = "") -> str:
    return markdown_to_text(parse_markdown(md), base)


def test_wrap_never_breaks_urls_and_respects_nbsp():
    url = "https://example.org/" + "x" * 90
    lines = wrap(f"see {url} now and then some more words here", 30)
    assert url in lines and all(len(line) <= 30 for line in lines if line != url)
    assert wrap("12\xa0TB and 40\xa0Gb/s", 9) == ["12\xa0TB and", "40\xa0Gb/s"]


def test_wrap_breaks_cjk_text_between_characters():
    lines = wrap("本周的简报描述了去中心化的协议" * 10, 40)
    assert len(lines) > 1
    assert all(len(line) * 2 <= 40 for line in lines)


def test_headings_are_underlined_or_marked():
    out = text("# Big\n\n## Section\n\n### Small\n")
    assert "Big\n===" in out and "Section\n-------" in out and "### Small" in out


def test_links_become_numbered_references_per_section():
    out = text(
        "## One\n\nRead [this](https://a.example) and [that](https://b.example).\n\n"
        "## Two\n\nAgain [this](https://a.example).\n"
    )
    one, two = out.split("Two\n---")
    assert "Read this [1] and that [2]." in one
    assert "[1] https://a.example\n[2] https://b.example" in one
    assert "Again this [1]." in two and "[1] https://a.example" in two


def test_autolinks_and_in_page_links_are_not_referenced():
    out = text("<https://x.example> and <me@x.example> and [top](#top)\n")
    assert out.strip() == "https://x.example and me@x.example and top"


def test_images_are_alt_text_with_a_reference_and_relative_urls_resolve():
    out = text("![A chart](/img/c.png)\n", base="https://news.example")
    assert "[Image: A chart] [1]" in out and "[1] https://news.example/img/c.png" in out


def test_lists_quotes_and_code():
    out = text(
        "- one\n  - nested item\n1. first\n2. second\n\n> quoted *words*\n\n"
        "```\ncode <T>  stays\n```\n"
    )
    assert "- one\n  - nested item" in out
    assert "1. first\n2. second" in out
    assert "> quoted _words_" in out
    assert "    code <T>  stays" in out


def test_raw_html_is_read_for_text_links_and_images():
    out = text(
        '<p>Hi <a href="https://x.example">there</a><br/>next</p>\n\n'
        "<table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>\n\n"
        '<script>alert("no")</script>\n\n<img src="https://i.example/a.png">\n'
    )
    assert "Hi there [1]\nnext" in out
    assert "A | B\n1 | 2" in out
    assert "alert" not in out
    assert "[Image] [2]" in out


def test_comments_and_line_breaks_read_without_a_parser_mean_the_same():
    # the shortcut for lone comments and <br> must agree with the HTML parser in every state
    assert text("<!-- markdownlint-disable MD033 -->\n\nA line<br>broken <br/>twice.\n") == (
        "A line\nbroken\ntwice.\n"
    )
    assert text("<p>one\n<!-- between -->\ntwo</p>\n") == "one two\n"
    # inside a comment that spans lines, or inside <script>, "<!-- x -->" is not a comment
    assert text("<div>\n<!-- open\n<!-- x -->\nshut -->\nkept\n</div>\n") == "shut --> kept\n"
    assert text("<script>\n<!-- x -->\n</script>\n\nafter\n") == "after\n"


def test_no_tags_or_entities_and_lines_fit():
    md = (
        "A &amp; B &lt;b&gt; &nbsp; “quoted” " + "word " * 60 + "\n\n"
        "| a | b |\n|---|---|\n| " + "long cell text " * 8 + "| x |\n"
    )
    out = text(md)
    assert not re.search(r"&(amp|lt|gt|nbsp|#\d+);", out)
    assert "<b>" in out  # an escaped tag is text the author wants shown, not markup
    assert all(len(line) <= 78 for line in out.splitlines())


def test_footnotes_and_tables():
    out = text("Claim[^1].\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n[^1]: Source.\n")
    assert "Claim[^1]." in out and "[^1]: Source." in out
    assert "x | y\n--+--\n1 | 2" in out


def test_addresses_are_made_absolute_as_in_the_html_part():
    out = text("[a](/jobs/) [b](*|ARCHIVE|*) [c]({{url}}) [d](#top)\n", "https://x.example/news")
    assert "[1] https://x.example/jobs/" in out
    assert "[2] *|ARCHIVE|*" in out and "[3] {{url}}" in out  # merge tags stay as they are


FENCE = re.compile(r"^```[^\n`]*\n(.*?)^```[ \t]*$", re.M | re.S)


def test_code_is_kept_byte_for_byte():
    """Runs of spaces, long lines and trailing spaces stay as written: a reader copies code."""
    code = '    return {"a":    1}  # ' + "long " * 20 + "\nx = 1   \n\ty"
    out = text(f"Before.\n\n```python\n{code}\n```\n")
    assert "\n".join("    " + line for line in code.split("\n")) in out


def test_every_real_code_line_reaches_the_text_part_verbatim():
    """Every top-level fenced code line of the shared corpus (when it is beside us) and of our
    samples appears, indented, in the text part exactly as written."""
    from conftest import CORPUS, ROOT

    paths = sorted(CORPUS.rglob("*.md")) if CORPUS.is_dir() else []
    paths += sorted([*(ROOT / "issues").glob("*.md"), *(ROOT / "tests/fixtures").rglob("*.md")])
    checked = 0
    for path in paths:
        body = path.read_text(encoding="utf-8", errors="replace").split("\n---\n", 1)[-1]
        out = None
        for block in FENCE.findall(body):
            out = out if out is not None else text(body)
            for line in block.rstrip("\n").split("\n"):
                assert ("    " + line if line else "") in out.split("\n"), (path, line)
                checked += 1
    assert checked > (100 if CORPUS.is_dir() else 2)  # not vacuous
