"""The email around the body, the long way: the layout (Jinja2 → MJML), compiled, the body
spliced in, its CSS inlined.

The issue's HTML never goes through the MJML compiler: the layout is compiled with a
placeholder, and the sanitized body replaces it afterwards, so malformed HTML in an old issue
cannot break the build. ``layout_shapes.py`` holds a faster way to the same bytes, which
``pipeline.py`` tries first.
"""

from __future__ import annotations

from markupsafe import Markup

from mailer.core.config import Settings, direction_of
from mailer.core.errors import TemplateError
from mailer.core.urls import absolute_url, base_for
from mailer.core.words import footer_words, long_date
from mailer.issue.load import Issue
from mailer.render.inline import inline_css
from mailer.render.mjml import compile_mjml
from mailer.render.templating import render_template

TEMPLATE = "email.mjml.j2"
BODY_PLACEHOLDER = "MAILER-BODY-PLACEHOLDER-c1d8a4"
# Fillers after the preheader, so that the inbox preview does not run on into the body: each a
# space between two zero-width characters (11 bytes). Previews show at most about 200
# characters (a wide Gmail or Apple Mail window); a preheader that fills them needs none. The
# count goes in steps of 30, so the layout has at most four shapes (layout_shapes.py).
PREVIEW_CHARACTERS = 200
PADDING_STEP = 30
PADDING_UNIT = "&#847;&zwnj;&nbsp;"


def preheader_padding(preheader: str) -> Markup:
    """The fillers after `preheader`: enough to reach PREVIEW_CHARACTERS, at most 90."""
    if not preheader:
        return Markup("")
    missing = max(0, PREVIEW_CHARACTERS - len(preheader))
    steps = min(3, -(-missing // PADDING_STEP))  # rounded up: never fewer than needed
    return Markup(PADDING_UNIT * (steps * PADDING_STEP))


def layout_context(
    issue: Issue, settings: Settings, highlighted: bool = False, tables: bool = False
) -> dict[str, object]:
    """What the email templates see besides the body: `highlighted` and `tables` say the body
    has coloured code or tables, whose rules the stylesheet then adds (an email without them
    does not carry them)."""
    words = footer_words(issue.language)
    direction = direction_of(issue.language)
    return {
        "issue": issue,
        "settings": settings,
        "direction": direction,
        "start": "right" if direction == "rtl" else "left",
        "date_text": long_date(issue.date, issue.language),
        "subtitle": issue.subtitle if settings.show_subtitle else "",
        "preheader_padding": preheader_padding(issue.preheader),
        "archive_url": settings.archive_url(issue.slug),
        "archive_index_url": settings.url.rstrip("/") + "/" if settings.url else "",
        "unsubscribe_url": settings.template_language.unsubscribe_tag,
        "logo": absolute_url(settings.logo, base_for(settings.url)) if settings.logo else "",
        "address_lines": [line.strip() for line in settings.address.splitlines() if line.strip()],
        "words": words,
        "subscribed_text": words.subscribed.format(name=settings.name),
        "highlighted": highlighted,
        "tables": tables,
    }


def splice(shell: str, fragment: str) -> str:
    """Put the body fragment where the layout's placeholder is."""
    if shell.count(BODY_PLACEHOLDER) != 1:
        raise TemplateError(TEMPLATE, "the layout must show {{ body }} exactly once")
    return shell.replace(BODY_PLACEHOLDER, fragment)


def layout_source(settings: Settings, context: dict[str, object]) -> str:
    """The layout rendered by Jinja: MJML with the body's placeholder."""
    return render_template(settings.template_dirs, TEMPLATE, body=BODY_PLACEHOLDER, **context)


def compile_email(source: str, fragment: str) -> str:
    """The long way: MJML compiled, the body spliced in, CSS inlined."""
    return inline_css(splice(compile_mjml(source), fragment))
