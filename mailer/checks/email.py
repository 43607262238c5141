"""Rules over the email as a whole: size, client CSS support, and accessibility."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from typing import Any

from mailer.checks.runner import Candidate
from mailer.core.finding import Finding
from mailer.core.limits import GMAIL_CLIP_BYTES
from mailer.core.words import has_footer_words
from mailer.issue.sanitize import ALLOWED_STYLES

SIZE_WARNING_BYTES = 90 * 1024
# package data, read as a resource: it is in the wheel as in the source tree
CSS_SUPPORT = resources.files("mailer") / "data" / "css-support.json"


def check_size(s: Candidate) -> Iterator[Finding]:
    size = len(s.rendered.html.encode("utf-8"))
    kb = size / 1024
    if size > GMAIL_CLIP_BYTES:
        yield s.finding(
            None,
            "size",
            "error",
            f"the HTML is {kb:.0f} KB: Gmail clips emails over 102 KB and hides the rest "
            "(and the unsubscribe link) behind 'View entire message'; shorten the issue",
        )
    elif size > SIZE_WARNING_BYTES:
        yield s.finding(
            None,
            "size",
            "warning",
            f"the HTML is {kb:.0f} KB, close to Gmail's 102 KB clipping limit",
        )


@lru_cache(maxsize=1)
def css_support() -> dict[str, Any]:
    """The vendored caniemail-derived table (see tools/update_css_support.py)."""
    data: dict[str, Any] = json.loads(CSS_SUPPORT.read_text(encoding="utf-8"))
    return data


_DECLARATION = re.compile(r"([a-zA-Z-]+)\s*:")


def check_css_support(s: Candidate) -> Iterator[Finding]:
    """Inline CSS the editor wrote in raw HTML: dropped by mailer, or ignored by big clients."""
    if not s.inventory.styles:
        return
    table = css_support()
    for tag, style, index in s.inventory.styles:
        for prop in dict.fromkeys(p.lower() for p in _DECLARATION.findall(style)):
            if prop not in ALLOWED_STYLES:
                yield s.finding(
                    s.line(index),
                    "css-support",
                    "warning",
                    f"style {prop!r} on <{tag}> is removed (not used in email)",
                )
                continue
            support = table["properties"].get(prop, {})
            missing = [table["clients"][c] for c in table["clients"] if support.get(c) == "n"]
            if missing:
                note = next(
                    (
                        support[f"{c}-note"]
                        for c in table["clients"]
                        if support.get(c) == "n" and f"{c}-note" in support
                    ),
                    "",
                )
                yield s.finding(
                    s.line(index),
                    "css-support",
                    "warning",
                    f"{prop!r} on <{tag}> is ignored by {', '.join(missing)}"
                    + (f": {note}" if note else ""),
                )


_HTML_TAG = re.compile(r"<html\b[^>]*>", re.IGNORECASE)


def check_html_lang(s: Candidate) -> Iterator[Finding]:
    tag = _HTML_TAG.search(s.rendered.html)
    lang = re.search(r'\slang="([^"]*)"', tag[0]) if tag else None
    # MJML writes lang="und" (undetermined) when the layout gives none: just as unhelpful
    if lang is None or lang[1].strip() in ("", "und"):
        yield s.finding(
            None,
            "html-lang",
            "error",
            "the email's <html> has no lang: screen readers guess the language; "
            "keep lang= in the layout template",
        )


def check_footer_words(s: Candidate) -> Iterator[Finding]:
    """The footer's strings exist in the issue's language, else they are English."""
    if not has_footer_words(s.issue.language):
        yield s.finding(
            s.issue.line_of("lang"),
            "footer-language",
            "warning",
            f"mailer has no footer words in {s.issue.language!r}: the date is in that language "
            "but the footer's links are in English; copy email.mjml.j2 and email.txt.j2 into "
            "templates/ to write them yourself",
        )


def check_footer_address(s: Candidate) -> Iterator[Finding]:
    """A commercial list shows a postal address (CAN-SPAM in the US, CASL in Canada)."""
    if s.settings.commercial and not s.settings.address.strip():
        yield s.finding(
            None,
            "footer-address",
            "warning",
            "a commercial list must show the sender's postal address in every email (CAN-SPAM, "
            'CASL): set newsletter.address = "..." in newsletter.toml',
        )


def check_heading_skip(s: Candidate) -> Iterator[Finding]:
    previous = 1  # the email's title is the h1
    for level, index in s.inventory.headings:
        if level > previous + 1:
            yield s.finding(
                s.line(index),
                "heading-skip",
                "warning",
                f"heading level jumps from h{previous} to h{level}; use h{previous + 1}",
            )
        previous = level


def check_layout_table(s: Candidate) -> Iterator[Finding]:
    for has_header_or_role, index in s.inventory.tables:
        if not has_header_or_role:
            yield s.finding(
                s.line(index),
                "layout-table",
                "warning",
                'table with no header cells: if it is for layout, add role="presentation" so '
                "screen readers do not announce it as data; if data, give it <th> headers",
            )
