"""Relative addresses in an issue, read as a browser reading the issue's archive page would.

A link to a sibling issue file (``2027-01-04-intro.md``, ``../2027-01-04-intro/index.md`` or a
bundle's folder) becomes that issue's archive address; any other relative address resolves
against the issue's own archive page (``issues/<slug>/``), not the site's root. Without a `url`
nothing can be resolved, and addresses stay as written (``check`` says so).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from mailer.core.config import Settings
from mailer.core.urls import absolute_url
from mailer.issue.load import ISSUE_SUFFIXES, Issue, slug_of


def body_base(issue: Issue, settings: Settings) -> str:
    """What the body's relative addresses are read against: the issue's archive page when it is
    a folder (``archive_path`` ends in "/", as by default), else the site; "" without `url`."""
    page = settings.archive_url(issue.slug)
    return page if page.endswith("/") else settings.url


def resolver(issue: Issue, settings: Settings) -> Callable[[str], str]:
    """address → the address a reader's click opens."""
    base = body_base(issue, settings)
    base = base if not base or base.endswith("/") else base.rstrip("/") + "/"
    folder = issue.path.parent

    def resolve(address: str) -> str:
        target = sibling_issue(folder, address) if base else None
        if target is not None:
            slug = slug_of(target)
            if slug is not None:
                fragment = urlsplit(address).fragment
                return settings.archive_url(slug) + (f"#{fragment}" if fragment else "")
        return absolute_url(address, base)

    return resolve


def sibling_issue(folder: Path, address: str) -> Path | None:
    """The issue file a relative address names, if it names one that exists: a Markdown file,
    or a bundle's folder (its index.md)."""
    parts = urlsplit(address)
    if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
        return None
    path = unquote(parts.path)
    if path.endswith(ISSUE_SUFFIXES):
        candidates = [folder / path]
    elif path.endswith("/"):
        candidates = [folder / path / f"index{suffix}" for suffix in ISSUE_SUFFIXES]
    else:
        return None
    return next((c for c in candidates if c.is_file()), None)
