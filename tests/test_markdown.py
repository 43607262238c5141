from __future__ import annotations

from mailer.issue.markdown import parse_markdown, slugify
from mailer.render.htmlwriter import markdown_to_html


def html(md: str) -> str:
    return markdown_to_html(parse_markdown(md)).html


def test_headings_get_unique_anchor_ids():
    out = html("## Managing Teams\n\n## Managing Teams\n\nSetext\n------\n")
    assert '<h2 id="managing-teams">Managing Teams</h2>' in out
    assert '<h2 id="managing-teams-1">' in out
    assert '<h2 id="setext">' in out


def test_inline_markup_links_and_code_are_escaped():
    out = html('A [link](https://a.example/?x=1&y=2 "T") and `Vec<T>` and ~~old~~ **b** *i*\n')
    assert '<a href="https://a.example/?x=1&amp;y=2" title="T">link</a>' in out
    assert "<code>Vec&lt;T&gt;</code>" in out
    assert "<del>old</del>" in out and "<strong>b</strong>" in out and "<em>i</em>" in out


def test_images_always_have_alt_text_from_markdown():
    assert '<img src="/a.png" alt="A *chart*"' not in html("![A *chart*](/a.png)")
    assert '<img src="/a.png" alt="A chart">' in html("![A *chart*](/a.png)")
    assert '<img src="/b.png" alt="">' in html("![](/b.png)")


def test_lists_quotes_rules_code_tables_footnotes():
    out = html(
        "1. one\n2. two\n   - nested\n     > quoted\n\n---\n\n```py\nx < 1\n```\n\n"
        "| a | b |\n|:--|--:|\n| 1 | 2 |\n\nText[^n].\n\n[^n]: The note.\n"
    )
    assert "<ol>\n<li>one</li>" in out and "<ul>\n<li>nested" in out
    assert "<blockquote>" in out and "<hr>" in out
    # a known language is coloured (highlight.py); its text stays as written
    assert (
        '<pre><code class="language-py">x &lt; <span style="color:#0550ae">1</span>\n</code></pre>'
        in out
    )
    assert '<th align="left" style="text-align:left">a</th>' in out
    assert '<sup class="footnote-ref"><a href="#fn-n">1</a></sup>' in out
    assert '<div class="footnote" id="fn-n"><p><sup>1</sup> The note.</p>' in out


def test_ordered_list_start_and_autolinks():
    out = html("3. three\n4. four\n\n<https://x.example> <me@x.example>\n")
    assert '<ol start="3">' in out
    assert '<a href="https://x.example">https://x.example</a>' in out
    assert '<a href="mailto:me@x.example">me@x.example</a>' in out


def test_raw_html_passes_to_the_sanitizer_untouched():
    assert '<a name="roundup"></a>' in html('<a name="roundup"></a>\n\nText\n')


def test_line_numbers_from_offsets():
    doc = parse_markdown("one\n\ntwo *x* [y](z)\n\n<script>x</script>\n\nlast\n", first_line=10)
    html_at = next(i for i, e in enumerate(doc.events) if isinstance(e, dict) and "Html" in e)
    link_at = next(i for i, e in enumerate(doc.events) if e == {"End": "Link"})
    # asked out of order: the ranged parse goes only as far as needed, then further
    assert doc.line_at(html_at) == 14
    assert doc.line_at(link_at) == 12
    assert doc.line_at(len(doc.events) - 1) == 16
    assert doc.line_at(0) == 10


def test_slugify():
    assert slugify("What's New in 2.0?") == "whats-new-in-20"
    assert slugify("Ünïcode héading") == "ünïcode-héading"
    assert slugify("!!!") == "section"


def test_emphasis_in_alt_text_does_not_leak_into_the_rest_of_the_email():
    # the <em> was written and its </em> was not: everything after the image went italic
    out = html("![a *b* **c**](x.png)\n\nafter\n")
    assert "<em>" not in out and "<strong>" not in out
    assert 'alt="a b c"' in out and "<p>after</p>" in out
