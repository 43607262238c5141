"""Campaign tags: UTM parameters on the issue's outbound links, in the HTML and the text alike.

``[newsletter] utm = {source = "lab-notes", medium = "email", campaign = "{slug}"}`` adds
``utm_source``, ``utm_medium`` and ``utm_campaign`` (and ``term``, ``content`` when given) to
every http(s) link of an issue's body. Never to a merge tag (the provider writes that address),
a ``mailto:`` or ``tel:`` link, an in-page ``#anchor``, an image, or a link that already
carries any ``utm_`` parameter (the editor chose its tags).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from urllib.parse import urlencode

from mailer.issue.sanitize import escape_attribute

KEYS = ("source", "medium", "campaign", "term", "content")
_MERGE_TAG = re.compile(r"\{\{|\{%|\*\||%7B%7B|%7b%7b|\[\[")
_WEB = re.compile(r"https?://[^/?#]", re.IGNORECASE)
_HAS_UTM = re.compile(r"[?&]utm_[a-z]+=", re.IGNORECASE)
_LINK_HREF = re.compile(r'(<a\b[^>]*? href=")([^"]*)(")')

Tagger = Callable[[str], str]


def tagger(utm: Mapping[str, str], slug: str) -> Tagger | None:
    """The function that tags one address for this issue, or None when there are no tags."""
    if not utm:
        return None
    query = urlencode(
        [(f"utm_{key}", utm[key].replace("{slug}", slug)) for key in KEYS if utm.get(key)]
    )

    def tag(url: str) -> str:
        if not _WEB.match(url) or _MERGE_TAG.search(url) or _HAS_UTM.search(url):
            return url
        address, hash_mark, fragment = url.partition("#")
        joiner = "&" if "?" in address else "?"
        if address.endswith(("?", "&")):
            joiner = ""
        return f"{address}{joiner}{query}{hash_mark}{fragment}"

    return tag


def tag_links(fragment: str, tag: Tagger | None) -> str:
    """The body's HTML with every link's address tagged (images are not links)."""
    if tag is None or "<a" not in fragment:
        return fragment

    def one(match: re.Match[str]) -> str:
        url = html.unescape(match[2])
        tagged = tag(url)
        if tagged == url:
            return match[0]
        return f"{match[1]}{escape_attribute(tagged)}{match[3]}"

    return _LINK_HREF.sub(one, fragment)
