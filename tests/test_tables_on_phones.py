"""Tables on phones, in real Chromium: words are never split inside a word (MJML's text blocks
set `word-break: break-word`, which tables used to inherit: "Convinc/ing" at 375 px), a table
too wide for the screen scrolls inside its own box, and the page never grows wider."""

from __future__ import annotations

import pytest
from browser import overflow

from mailer.checks.process import process

# every word of each cell, and whether it is drawn on more than one line
SPLIT_WORDS = """() => {
  const split = [];
  for (const cell of document.querySelectorAll('.mailer-content td, .mailer-content th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode()); ) {
      for (const m of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const rows = new Set([...range.getClientRects()].filter(r => r.width > 0)
          .map(r => Math.round(r.top)));
        if (rows.size > 1) split.push(m[0]);
      }
    }
  }
  return split;
}"""

ROWS = [
    ["Team", "Convincing argument", "Meaningful measure", "Change", "Comment"],
    ["---"] * 5,
    ["Platform engineering", "Reproducibility throughout", "Turnaround", "0.5%", "Encouraging"],
    ["Research software", "Maintainability considerations", "Retention", "12.25%", "Unexpected"],
    ["Data stewardship", "Interoperability requirements", "Coverage", "3.75%", "Uncontroversial"],
]
TABLE = (
    "---\ntitle: Budgets\ndate: 2026-03-02\n---\nWhat five teams spent, and what they said:\n\n"
    + "\n".join("| " + " | ".join(row) + " |" for row in ROWS)
    + "\n"
)


@pytest.mark.parametrize("width", [375, 640])
def test_a_five_column_table_splits_no_word_and_fits(width, chromium, write_issue, make_settings):
    html = process(write_issue(TABLE), make_settings()).html
    page = chromium.new_page(viewport={"width": width, "height": 800})
    assert overflow(page, html) == 0
    assert page.evaluate(SPLIT_WORDS) == []
    # the card hides what overflows it: the content column itself must fit, or the table's
    # right-hand columns are cut off, unseen and unreachable
    right = page.evaluate(
        "document.querySelector('.mailer-content > div').getBoundingClientRect().right"
    )
    assert right <= width
    if width == 375:  # narrower than the table: it scrolls inside its own box
        scrolls = page.evaluate(
            "() => { const t = document.querySelector('.mailer-content table');"
            " return t.scrollWidth > t.clientWidth && getComputedStyle(t).overflowX }"
        )
        assert scrolls == "auto"
    page.close()
