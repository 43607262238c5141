"""The pipeline, stage by stage: Issue → Rendered(subject, preheader, html, text, findings).

    parse     body → events (pyromark, once)
    html      events → fragment → sanitized fragment (the sanitizer runs when the issue has raw
              HTML or an unusual address; otherwise it would change nothing)
    mail      the fragment made ready for mail clients: image widths Outlook keeps (images.py),
              in-page targets (anchors.py), campaign tags when set (campaign.py)
    layout    Issue + settings → Jinja2 → MJML → compiled HTML shell (body placeholder), with
              CSS inlined (css-inline, offline): ``layout.py``; once per layout shape where
              that gives the same bytes (``layout_shapes.py``)
    splice    the fragment goes into the shell *after* compilation, its CSS inlined: issue
              HTML, however malformed, never reaches the MJML parser
    text      the same events → plain text → text layout

The gate (``mailer.checks``) runs over the result: callers that show findings ask for them.

Every stage is a plain function; nothing touches the network; the same input gives the same bytes.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from mailer.core.config import Settings
from mailer.core.errors import IssueError
from mailer.core.finding import Finding
from mailer.core.limits import MAX_ELEMENT_DEPTH, tag_depth
from mailer.issue.load import Issue
from mailer.issue.markdown import Document, parse_markdown
from mailer.issue.sanitize import clean_body
from mailer.render import layout_shapes
from mailer.render.anchors import name_targets
from mailer.render.campaign import tag_links, tagger
from mailer.render.fingerprint import inputs_hash
from mailer.render.htmlwriter import markdown_to_html
from mailer.render.images import Fitted, fit_images
from mailer.render.layout import compile_email, layout_context, layout_source
from mailer.render.links import Asset, Resolver, body_base
from mailer.render.plaintext import markdown_to_text
from mailer.render.templating import render_template


@dataclass(frozen=True)
class Rendered:
    """An issue as subscribers receive it."""

    issue: Issue
    subject: str
    preheader: str
    html: str
    text: str
    body_html: str = ""  # the issue's own content, sanitized, before the layout wraps it
    content_hash: str = ""  # what it is made from (fingerprint.py): sync's "up to date?"
    document: Document | None = None  # the parsed body, for the gate
    findings: tuple[Finding, ...] = ()  # filled by the gate (mailer.checks), not by rendering
    render_ms: float = 0.0
    images: tuple[Fitted, ...] = ()  # each body image's width, as set for Outlook
    assets: tuple[Asset, ...] = ()  # the repository's files it refers to, to publish (links.py)
    depends: tuple[Path, ...] = ()  # every other file the rendering looked for, there or not


def render_issue(issue: Issue, settings: Settings) -> Rendered:
    """Render one issue to its final HTML and text parts."""
    started = time.perf_counter()
    doc = parse_markdown(issue.body, issue.body_line, issue.path)
    # relative addresses as the archive page reads them; the repository's files they name
    resolve = Resolver(issue, settings)
    body = markdown_to_html(doc, settings.url, resolve)
    fragment = clean_body(body.html, body.plain, body_base(issue, settings), resolve)
    if not body.plain and tag_depth(fragment, exact=True)[0] > MAX_ELEMENT_DEPTH:
        # the count before the sanitizer is rough; this one, of well-formed HTML, is exact
        raise IssueError(
            issue.path,
            f"the raw HTML nests more than {MAX_ELEMENT_DEPTH} elements deep; mailer renders "
            "at most that many: close the tags you opened",
            issue.body_line,
        )
    # every image as wide as Outlook for Windows should draw it (images.py)
    sizes = {a.address: a.size for a in resolve.assets.values() if a.size}
    fragment, images = fit_images(fragment, settings.content_width, sizes)
    fragment = name_targets(fragment)  # unique ids; <a name> for Yahoo (anchors.py)
    tag = tagger(settings.utm, issue.slug)  # campaign tags, when set (campaign.py)
    fragment = tag_links(fragment, tag)
    context = layout_context(issue, settings, body.highlighted, "<table" in fragment)
    source = layout_source(settings, context)
    # the layout's shortcut where it gives the same bytes (layout_shapes.py), else the long way
    html = layout_shapes.email(issue, settings, context, source, fragment) or compile_email(
        source, fragment
    )
    body_text = markdown_to_text(doc, settings.url, tag_link=tag, resolve=resolve).rstrip("\n")
    text = render_template(settings.template_dirs, "email.txt.j2", body=body_text, **context)
    elapsed = (time.perf_counter() - started) * 1000
    return Rendered(
        issue,
        issue.subject,
        issue.preheader,
        html,
        _tidy_text(text),
        fragment,
        inputs_hash(issue, settings, _local_part(resolve)),
        doc,
        (),
        elapsed,
        images,
        tuple(resolve.assets.values()),
        tuple(sorted(resolve.looked_at)),
    )


def _local_part(resolve: Resolver) -> str:
    """What the email takes from files beside the issue: each asset's address and size (a new
    picture of another size changes its width in the email); "" when there are none."""
    return "".join(
        f"{address}\0{resolve.assets[address].size}\0" for address in sorted(resolve.assets)
    )


def _tidy_text(text: str) -> str:
    """No trailing spaces, at most one blank line in a row, one final newline."""
    # the `in` tests are C-speed scans; the regular expressions run only when there is work
    if " \n" in text or "\t\n" in text:
        text = _TRAILING_SPACE.sub("", text)
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip("\n") + "\n"


_TRAILING_SPACE = re.compile(r"[ \t]+$", re.M)
_BLANK_LINES = re.compile(r"\n{3,}")
