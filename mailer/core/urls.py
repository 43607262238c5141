"""Addresses in issues and settings: relative or not, web or not, made absolute against the
newsletter's `url`. A leaf: the renderer, the text part, the archive, the settings and the link
rules all ask here, so they agree.

Merge tags (``{{ … }}``, ``{% … %}``, ``*|…|*``) are addresses the provider fills in when it
sends: never made absolute, never judged.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

MERGE_MARKS = ("{{", "{%", "*|")
_MERGE = re.compile(r"\{\{|\{%|\*\|")
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_WEB_HOST = re.compile(r"https?://[^/?#\s]", re.I)
_WEB_ADDRESS = re.compile(r"https?://[^/\s]+", re.I)


def is_merge_tag(value: str) -> bool:
    return _MERGE.search(value) is not None


def is_relative(url: str) -> bool:
    """A path like ``img/a.png`` or ``/about``: it needs the newsletter's `url` to work in an
    inbox (not an in-page ``#anchor``, a protocol-relative ``//host`` or a merge tag)."""
    return not (SCHEME.match(url) or url.startswith(("#", "//", *MERGE_MARKS)))


def is_web(url: str) -> bool:
    """An http or https address."""
    return url[:8].lower().startswith(("http://", "https://"))


def has_web_host(url: str) -> bool:
    """An http or https address with a host after the ``//``."""
    return _WEB_HOST.match(url) is not None


def is_site_address(value: str) -> bool:
    """A `url` setting: http(s) and a host."""
    return _WEB_ADDRESS.match(value) is not None


def base_for(base_url: str) -> str:
    """The `url` setting as a base that relative addresses are joined to."""
    return base_url.rstrip("/") + "/" if base_url else ""


def absolute_url(value: str, base: str) -> str:
    """A relative address made absolute against `base`; in-page anchors and merge tags stay."""
    if not base or not value or value.startswith("#") or is_merge_tag(value):
        return value
    if "://" not in value and not value.startswith(("mailto:", "tel:")):
        return urljoin(base, value)
    return value


def site_address(base_url: str, path: str) -> str:
    """A path of the newsletter's site as a full address ("" is the site itself); the path
    itself when there is no `url`."""
    base = base_for(base_url)
    return urljoin(base, path) if base else path
