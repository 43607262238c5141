"""The layout shortcut: the email of ``layout.py``, byte for byte, without compiling MJML and
inlining the layout's CSS for every issue.

Compiling the MJML layout and inlining its CSS is about a third of a render (this saves 16% of a
render, 13% of render and check rules: bench/render.py), yet every issue of a newsletter has the
same layout with a few different values: title, subject, preheader, subtitle, date,
archive link. So the layout is compiled and inlined once per *shape* — the layout rendered with
markers in place of those values — and each issue gets its values filled in, escaped the way the
HTML serializer (html5ever, in css-inline) writes them. The body is inlined on its own, inside
copies of the elements that hold it in the email and with the same stylesheet, so every rule
matches it as it would in the whole email.

The shortcut is taken only where it gives the same bytes as compiling each issue (the tests
compare both ways over every corpus issue); otherwise, the long way:
- the layout rendered with the real values must be the shape with those values filled in: a
  template that tests or transforms a value has no fixed shape;
- the values must be plain one-line text, which MJML and the HTML parser pass on unchanged;
- the stylesheet must not pick the body's elements by their ancestors' siblings or positions
  (``+``, ``~``, pseudo-classes): the copies of the ancestors have no siblings;
- the first issue of each shape is compiled both ways, and a shape that gives other bytes is
  dropped, whatever the reason.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from dataclasses import fields as dataclass_fields
from typing import Any

import css_inline
from markupsafe import escape

from mailer.core.config import Settings
from mailer.core.errors import TemplateError
from mailer.issue.load import Issue
from mailer.render.inline import inline_css, without_reset
from mailer.render.layout import BODY_PLACEHOLDER, TEMPLATE, compile_email
from mailer.render.mjml import compile_mjml
from mailer.render.templating import render_template


def email(
    issue: Issue, settings: Settings, context: dict[str, object], source: str, fragment: str
) -> str | None:
    """The email by its shape, or None when the shortcut does not apply (then: the long way).

    `source` is ``layout.layout_source(settings, context)``."""
    found = _marked(issue, settings, context, source)
    if found is None:
        return None
    marked, values = found
    shape = _SHAPES.get(marked, _UNSEEN)
    if shape is _UNSEEN:
        shape = _compile_shape(marked)
        # the first issue of a shape is compiled the long way too: a shape that does not give
        # the same bytes (a change in MJML that the rules above do not foresee) is never used
        if shape is not None and shape.fill(values, fragment) != compile_email(source, fragment):
            shape = None
        if len(_SHAPES) >= MAX_SHAPES:
            _SHAPES.clear()
        _SHAPES[marked] = shape
    return shape.fill(values, fragment) if isinstance(shape, _Shape) else None


# The values an issue brings to the layout are found, not listed: every text field of the issue
# and of its front matter (``issue.meta``), and the context's values made from the issue. A new
# one shown by a template is a slot by itself, so it can never quietly make each issue a shape
# of its own. An empty value is part of the shape (templates test it).
_NOT_SHOWN = frozenset({"body"})  # the body has its own placeholder
_CONTEXT_SLOTS = ("date_text", "archive_url", "subtitle")  # layout_context's per-issue values
_FRAGMENT_START, _FRAGMENT_END = "<!--mailer-body-->", "<!--/mailer-body-->"


def _marker(name: str) -> str:
    return f"MAILER-SLOT-{name}-c1d8a4"  # printable ASCII: MJML writes it as it is


def _plain(value: str) -> bool:
    """Text that MJML and the HTML parser pass on unchanged: MRML escapes a backslash or an
    unprintable character in some attributes (Rust's escape_debug), and trims white space."""
    return (
        value.isprintable()
        and "\\" not in value
        and value == value.strip()
        and not unicodedata.combining(value[0])
    )


def _marked(
    issue: Issue, settings: Settings, context: dict[str, object], source: str
) -> tuple[str, dict[str, str]] | None:
    """The layout rendered with a marker in place of each non-empty per-issue value, and the
    values of the markers it shows — if filling them in gives the layout itself (else the
    template tests or changes a value) and each is plain text."""
    values: dict[str, str] = {}

    def mark(name: str, value: Any) -> Any:
        if not isinstance(value, str) or not value:
            return value
        values[_marker(name)] = value
        return _marker(name)

    fields: dict[str, Any] = {
        f.name: mark(f.name, getattr(issue, f.name))
        for f in dataclass_fields(issue)
        if f.name not in _NOT_SHOWN and isinstance(getattr(issue, f.name), str)
    }
    meta = {key: mark(f"meta{n}", value) for n, (key, value) in enumerate(issue.meta.items())}
    marked_context = {**context, "issue": replace(issue, **fields, meta=meta)}
    marked_context.update({n: mark(n, context[n]) for n in _CONTEXT_SLOTS})
    marked = render_template(
        settings.template_dirs, TEMPLATE, body=BODY_PLACEHOLDER, **marked_context
    )
    shown = {marker: value for marker, value in values.items() if marker in marked}
    if not all(map(_plain, shown.values())):
        return None
    filled = marked
    for marker, value in shown.items():
        filled = filled.replace(marker, str(escape(value)))
    return (marked, shown) if filled == source else None


@dataclass(frozen=True)
class _Shape:
    """A compiled, inlined layout with markers for the values and the body."""

    pieces: tuple[str, ...]  # literal, slot, literal, slot, ... literal
    in_tag: tuple[bool, ...]  # for each slot: inside a tag (an attribute value) or text
    body_document: tuple[str, str]  # the body's ancestors with the stylesheet: before, after

    def fill(self, values: dict[str, str], fragment: str) -> str:
        out = [self.pieces[0]]
        for n, slot in enumerate(self.pieces[1::2]):
            if slot == BODY_PLACEHOLDER:
                out.append(self._inline_body(fragment))
            else:
                out.append(
                    inliner_attribute(values[slot])
                    if self.in_tag[n]
                    else inliner_text(values[slot])
                )
            out.append(self.pieces[2 * n + 2])
        return "".join(out)

    def _inline_body(self, fragment: str) -> str:
        before, after = self.body_document
        html = _BODY_INLINER.inline(before + fragment + after)
        start = html.index(_FRAGMENT_START) + len(_FRAGMENT_START)
        return html[start : html.rindex(_FRAGMENT_END)]


_BODY_INLINER = css_inline.CSSInliner(
    keep_at_rules=False, load_remote_stylesheets=False, minify_css=True
)


# how css-inline's serializer (html5ever) escapes text and attribute values: unlike the
# sanitizer's (sanitize.escape_*, a newer html5ever), it leaves < and > in attribute values
def inliner_text(value: str) -> str:
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value.replace("\xa0", "&nbsp;")


def inliner_attribute(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("\xa0", "&nbsp;")


# markup in serialized HTML: comments, raw-text elements whole, and tags (values are quoted)
_MARKUP = re.compile(
    r"<!--.*?-->|<(style|script)\b[^>]*>.*?</\1>|<[^<>\"]*(?:\"[^\"]*\"[^<>\"]*)*>", re.S | re.I
)
_SLOT = re.compile("(" + re.escape(BODY_PLACEHOLDER) + "|" + _marker("[a-z0-9_]+") + ")")
_TAG_NAME = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)")
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>", re.S | re.I)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_PRELUDE = re.compile(r"([^{}]*)\{")
_POSITIONAL = re.compile(r"[+~]|:(?!root\b)")
# elements with no end tag
_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)


# marked layout → its shape (None: the long way). Per process: each of build's worker
# processes checks and keeps its own; bounded, since a template change makes a new shape
_SHAPES: dict[str, _Shape | None] = {}
MAX_SHAPES = 32
_UNSEEN = object()


def _compile_shape(marked: str) -> _Shape | None:
    """The shape for a layout rendered with markers, or None when the shortcut is not exact."""
    try:
        compiled = compile_mjml(marked)
    except TemplateError:
        return None  # the long way reports it, with the real values
    # the stylesheet the body is inlined with: the layout's, without MJML's reset (inline.py)
    css = "\n".join(_STYLE.findall(_COMMENT.sub("", without_reset(compiled)[0])))
    if "<link" in compiled or any(
        _POSITIONAL.search(prelude) for prelude in _PRELUDE.findall(css) if "@" not in prelude
    ):
        return None
    shell = inline_css(compiled)
    pieces = tuple(_SLOT.split(shell))
    if pieces[1::2].count(BODY_PLACEHOLDER) != 1:
        return None
    in_tag: list[bool] = []
    ancestors: list[tuple[str, str]] = []  # (name, start tag)
    position = 0
    for n, literal in enumerate(pieces[::2][:-1]):
        position += len(literal)
        where = _markup_at(shell, position)
        if where == "comment or raw text":
            return None
        in_tag.append(where == "tag")
        if pieces[2 * n + 1] == BODY_PLACEHOLDER:
            ancestors = _open_elements(shell[:position])
        position += len(pieces[2 * n + 1])
    if not ancestors or ancestors[0][0] != "html":
        return None
    head = ancestors[0][1] + f"<head><style>{css}</style></head>"
    before = head + "".join(tag for _, tag in ancestors[1:]) + _FRAGMENT_START
    after = _FRAGMENT_END + "".join(f"</{name}>" for name, _ in reversed(ancestors))
    return _Shape(pieces, tuple(in_tag), (before, after))


def _markup_at(html: str, position: int) -> str:
    """Whether `position` is in text, inside a tag, or in a comment or <style>/<script>."""
    for match in _MARKUP.finditer(html):
        if match.start() > position:
            break
        if position < match.end():
            return "comment or raw text" if match[0].startswith("<!--") or match[1] else "tag"
    return "text"


def _open_elements(html: str) -> list[tuple[str, str]]:
    """Name and start tag of the elements open at the end of `html` (serialized: well formed)."""
    stack: list[tuple[str, str]] = []
    for match in _MARKUP.finditer(html):
        tag = match[0]
        if tag.startswith(("<!", "<?")) or match[1]:
            continue  # comments, doctype, <style> and <script> with their content
        name = _TAG_NAME.match(tag)
        if name is None:
            continue
        if tag.startswith("</"):
            while stack and stack.pop()[0] != name[1].lower():
                pass
        elif name[1].lower() not in _VOID and not tag.endswith("/>"):
            stack.append((name[1].lower(), tag))
    return stack
