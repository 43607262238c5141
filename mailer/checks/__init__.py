r"""The gate, ``mailer check``: every rule, each a small function ``check_<rule>(candidate)``
yielding Findings (``runner.py`` runs them, ``issues.py`` over many issues, ``report.py`` says
what they found). Rule ids (the ``rule`` of a finding) are stable: CI configurations refer to
them. Rules marked (off) speak only when asked for (``core/gatepolicy.DEFAULT_OFF``).

| id | severity | what |
|---|---|---|
| size | error / warning | HTML over Gmail's 102 KB clipping limit / over 90 KB |
| forbidden-markup | warning | script, iframe, video, form, body style, on*= ... (removed) |
| image-alt | warning | image without alt text, or a placeholder alt (a file name, "image") |
| image-src | error / warning | a local picture missing, unreadable, not ours; an `http:` one |
| image-width | warning | a remote picture of unknown size in a line of text (Outlook: full size) |
| link-broken | error | empty, `#` or host-less href; relative href without a `url` setting |
| anchor-missing | error | in-page `#anchor` with no such id in the email |
| anchor-app | warning (off) | in-page links: dead in Gmail for iOS (once per issue) |
| link-insecure | warning | `http:` link to a site known to serve https (HSTS preload, the issue) |
| link-text | warning | "here" to several places, "click here", a bare URL |
| reference-unresolved | error | `[text][label]` with no `[label]: url` definition |
| template-leftover | error / warning | `{% %}`, `{{ }}` not a merge tag / kramdown `{: }` |
| placeholder | error | TK, TODO, FIXME, lorem ipsum |
| subject | error / warning | empty subject / longer than 100 characters |
| title | warning | no `title:`: the subject is taken from the file name |
| preheader | warning | no preheader, and the body's first words preview poorly |
| schedule-past | warning | a recent issue whose send time has passed |
| schedule-same-day | warning | two issues on the same day (from `check_issues`) |
| front-matter-key | warning | a near-miss of a known key (`subtitel`) |
| hero-image | warning | `hero-img` that is not a URL |
| css-support | warning | inline CSS in the issue that mail clients drop or ignore |
| html-lang | error | no `lang` on `<html>` |
| footer-language | warning | no built-in footer words in the issue's language (English instead) |
| footer-address | warning | `commercial = true` and no postal `address` |
| heading-skip | warning | a heading level skipped (h2 → h4) |
| layout-table | warning | a table with no header cells and no role="presentation" |
| link-malformed | error | a mistyped scheme (`htps:`, `http//`) or a placeholder (`TODO`) address |
| link-local | error | localhost, 127.0.0.1, a private address, `file:` |
| link-private | warning (off) | a document's editing address (Google Docs `/edit`, Drive folder) |
| markdown-debris | error | a link or image that did not parse, `**` left open: shown as written |
| doubled-word | warning | a word typed twice ("the the") |
| merge-tag-unknown | error / warning | `*\|TAG\|*` the provider does not fill / a near miss |
| header-cut | warning | a header value YAML cut at ` #` (the rest read as a comment) |
| template-unchanged | error | the placeholder words `mailer new` or `mailer init` wrote |
"""

from __future__ import annotations

from dataclasses import replace

from mailer.checks.content import (
    check_forbidden_markup,
    check_placeholder,
    check_reference_unresolved,
    check_template_leftover,
)
from mailer.checks.email import (
    check_css_support,
    check_footer_address,
    check_footer_words,
    check_heading_skip,
    check_html_lang,
    check_layout_table,
    check_size,
)
from mailer.checks.links import (
    check_anchor_app,
    check_anchor_missing,
    check_image_alt,
    check_image_src,
    check_image_width,
    check_link_broken,
    check_link_insecure,
    check_link_text,
)
from mailer.checks.meta import (
    check_front_matter_key,
    check_hero_image,
    check_preheader,
    check_schedule_past,
    check_subject,
    check_title,
)
from mailer.checks.mistakes import (
    check_doubled_word,
    check_header_cut,
    check_link_local,
    check_link_malformed,
    check_link_private,
    check_markdown_debris,
    check_merge_tag_typo,
    check_template_unchanged,
)
from mailer.checks.runner import Candidate, Rule, run_rules
from mailer.core.config import Settings
from mailer.core.gatepolicy import drop_silenced, silenced_lines
from mailer.render.pipeline import Rendered

RULES: tuple[Rule, ...] = (
    check_subject,
    check_title,
    check_preheader,
    check_front_matter_key,
    check_hero_image,
    check_schedule_past,
    check_size,
    check_forbidden_markup,
    check_template_leftover,
    check_placeholder,
    check_reference_unresolved,
    check_link_broken,
    check_anchor_app,
    check_anchor_missing,
    check_link_insecure,
    check_link_text,
    check_image_alt,
    check_image_src,
    check_image_width,
    check_css_support,
    check_html_lang,
    check_footer_address,
    check_footer_words,
    check_heading_skip,
    check_layout_table,
    check_link_malformed,
    check_link_local,
    check_link_private,
    check_markdown_debris,
    check_doubled_word,
    check_merge_tag_typo,
    check_header_cut,
    check_template_unchanged,
)


def check_rendered(rendered: Rendered, settings: Settings) -> Rendered:
    """The rendered issue with the gate's findings: every rule above, over it."""
    assert rendered.document is not None, "rendered by render_issue, which keeps the document"
    candidate = Candidate(rendered.issue, rendered.document, rendered, settings)
    issue = rendered.issue
    found = drop_silenced(run_rules(candidate, RULES), silenced_lines(issue.body, issue.body_line))
    return replace(rendered, findings=tuple(settings.policy.apply(found)))
