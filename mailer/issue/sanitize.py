"""Make the body's HTML safe and useful in email: an allow-list sanitizer (nh3, i.e. ammonia).

What an editor's raw HTML may contain is decided here, once: content tags, tables and images
survive; scripts, frames, media, forms and body ``<style>`` are removed with their content;
``on*=`` handlers and ``javascript:`` URLs never survive (they are not on the allow-list).
ammonia parses like a browser (html5ever), so malformed HTML (unclosed tags, a stray ``<``) is
repaired rather than passed on to break the email. With a ``url`` setting, relative links and
images are made absolute; in-page ``#anchors`` and provider merge tags are left alone.

The HTML writer (``markdown.py``) escapes as the sanitizer's serializer does and asks
``plain_url`` about every address. A body with no raw HTML but comments and line breaks, and only
plain addresses, is then already what the sanitizer would return, and skips it (most real
issues; the tests check every corpus issue). Anything else goes through the sanitizer whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache, partial

import nh3

from mailer.core.urls import SCHEME, absolute_url, base_for
from mailer.issue.media import linked_media_as_text

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "bdi",
    "bdo",
    "blockquote",
    "br",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "font",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
    "wbr",
}
# Removed together with everything inside them: what they hold is code or a player, not text.
REMOVED_WITH_CONTENT = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "video",
    "audio",
    "form",
    "noscript",
    "template",
    "svg",
    "math",
    "canvas",
    "select",
    "textarea",
    "applet",
    "frameset",
    "title",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "title", "lang", "dir", "class", "style", "align"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start", "type", "reversed"},
    "li": {"value"},
    "td": {"colspan", "rowspan", "valign", "width"},
    "th": {"colspan", "rowspan", "valign", "width", "scope"},
    "table": {"width", "cellpadding", "cellspacing", "border"},
    "col": {"span", "width"},
    "font": {"color", "face", "size"},
    "time": {"datetime"},
    "q": {"cite"},
    "blockquote": {"cite"},
}
# Presentational CSS only; position, behaviour and anything that can load a URL are dropped.
ALLOWED_STYLES = {
    "background-color",
    "border",
    "border-bottom",
    "border-collapse",
    "border-color",
    "border-left",
    "border-radius",
    "border-right",
    "border-spacing",
    "border-style",
    "border-top",
    "border-width",
    "color",
    "display",
    "float",
    "font",
    "font-family",
    "font-size",
    "font-style",
    "font-variant",
    "font-weight",
    "height",
    "letter-spacing",
    "line-height",
    "list-style-type",
    "margin",
    "margin-bottom",
    "margin-left",
    "margin-right",
    "margin-top",
    "max-height",
    "max-width",
    "min-height",
    "min-width",
    "padding",
    "padding-bottom",
    "padding-left",
    "padding-right",
    "padding-top",
    "text-align",
    "text-decoration",
    "text-indent",
    "text-transform",
    "vertical-align",
    "white-space",
    "width",
    "word-break",
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\salt=)")


_UNUSUAL_IN_URL = re.compile(r"[\x00-\x20\x7f\\]")  # what URL parsers strip or rewrite
# How the sanitizer's serializer (ammonia's html5ever) escapes text and attribute values.
# Chained replaces: C-speed, where str.translate with a table is a dict lookup per character.


def escape_text(text: str) -> str:
    """Text as the sanitizer writes it."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\xa0", "&nbsp;")


def escape_attribute(value: str) -> str:
    """An attribute value (between double quotes) as the sanitizer writes it."""
    value = value.replace("&", "&amp;").replace('"', "&quot;").replace("\xa0", "&nbsp;")
    return value.replace("<", "&lt;").replace(">", "&gt;")


def plain_url(url: str) -> bool:
    """A link or image address the sanitizer surely keeps as it is: a relative address, or an
    allowed scheme with (for http and https) a plain host name, with nothing in it that a URL
    parser strips. The sanitizer drops an address whose scheme is not allowed or which a URL
    parser rejects ("http://" with no host, a bad port or IP address); anything not plainly
    fine is left to it."""
    if _PLAIN_WEB_ADDRESS.fullmatch(url):
        return True  # the common case, in one match
    if _UNUSUAL_IN_URL.search(url):
        return False
    scheme = SCHEME.match(url)
    if scheme is None:
        return True  # relative: kept as written
    return scheme[0][:-1].lower() in ("mailto", "tel")


_PLAIN_WEB_ADDRESS = re.compile(
    r"[Hh][Tt][Tt][Pp][Ss]?://"
    r"(?![^/?#:]*[Xx][Nn]--)"  # no punycode label: the URL parser checks those
    r"(?:[A-Za-z0-9-]+\.)*"
    # the last label is not a number, which would make the host an IPv4 address to check
    r"(?![0-9]+(?:[:/?#]|$))(?!0[Xx][0-9A-Fa-f]*(?:[:/?#]|$))[A-Za-z0-9-]+"
    r"(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?"
    r"(?:[/?#][^\x00-\x20\x7f\\]*)?"
)


def _url_filter(resolve: Callable[[str], str]):  # type: ignore[no-untyped-def]
    def keep(tag: str, attr: str, value: str) -> str | None:
        return resolve(value) if attr in ("href", "src") else value

    return keep


@lru_cache(maxsize=8)
def _cleaner(base: str) -> nh3.Cleaner:
    return _make_cleaner(partial(absolute_url, base=base) if base else None)


def _make_cleaner(resolve: Callable[[str], str] | None) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        clean_content_tags=REMOVED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
        filter_style_properties=ALLOWED_STYLES,
        # the filter is a Python call per attribute: only pay for it when there is a base URL
        attribute_filter=_url_filter(resolve) if resolve else None,
    )


def clean_body(
    html: str,
    written_plain: bool,
    base_url: str = "",
    resolve: Callable[[str], str] | None = None,
) -> str:
    """The body's HTML made safe: the one place that decides whether the sanitizer runs.

    The shortcut: HTML the Markdown writer produced with no raw HTML but comments and line
    breaks, and only addresses ``plain_url`` vouches for (`written_plain`), is already what the
    sanitizer returns, byte for byte (the writer escapes as it does). Skipping it saves 13% of
    a render (bench/render.py). tests/test_sanitize.py holds the two ways to each other on
    every corpus issue, on hand-picked and on seeded random bodies; nh3 is pinned, since a new
    version may serialize differently."""
    return html if written_plain else sanitize_html(html, base_url, resolve)


def sanitize_html(
    fragment: str, base_url: str = "", resolve: Callable[[str], str] | None = None
) -> str:
    """The fragment with only allowed markup; every <img> has an alt (empty when none given);
    a player inside a link leaves its name as the link's text (media.py). Addresses are made
    absolute against `base_url`, or by `resolve` (``render/links.py``) when given: a cleaner of
    its own, 0.05 ms to make."""
    fragment = linked_media_as_text(fragment)[0]
    cleaner = _make_cleaner(resolve) if resolve else _cleaner(base_for(base_url))
    clean = cleaner.clean(fragment)
    # ammonia serializes canonically (lower-case tags, quoted attributes), so this is exact
    return _IMG_WITHOUT_ALT.sub('<img alt=""', clean)
