"""Relative addresses in an issue, read as a browser reading the issue's archive page would, and
the repository's files they name.

A link to a sibling issue file (``2027-01-04-intro.md``, ``../2027-01-04-intro/index.md`` or a
bundle's folder) becomes that issue's archive address; any other relative address resolves
against the issue's own archive page (``issues/<slug>/``), not the site's root. Without a `url`
nothing can be resolved, and addresses stay as written (``check`` says so).

A relative address that names a file in the repository — ``chart.png`` beside the issue file
(or in its bundle's folder), ``img/chart.png`` below it, ``/img/logo.png`` under the folder of
newsletter.toml — is an *asset*: it is published at the address the browser would read (beside
the issue's archive page for the first two), ``mailer archive`` copies its bytes there, the
preview serves it from disk, and an image's natural size is read from its header (``imagesize``)
so that it is never drawn wider than it is. Only files inside the repository and outside hidden
folders (``.git``, ``.env``) are ever published.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from mailer.core.config import Settings
from mailer.core.urls import absolute_url, base_for, is_relative
from mailer.issue.load import ISSUE_SUFFIXES, Issue, slug_of

# what a path keeps unescaped in a published address (RFC 3986 pchar and "/")
_PATH_SAFE = "/!$&'()*+,;=:@~"


@dataclass(frozen=True)
class Asset:
    """A file of the repository that an issue refers to, and where it is published."""

    source: Path
    address: str  # the absolute address the email uses
    site_path: str  # the same, as a path under the site's root ("issues/week-1/chart.png")
    size: tuple[int, int] | None  # (width, height) in px, for an image imagesize can read


def body_base(issue: Issue, settings: Settings) -> str:
    """What the body's relative addresses are read against: the issue's archive page when it is
    a folder (``archive_path`` ends in "/", as by default), else the site; "" without `url`."""
    page = settings.archive_url(issue.slug)
    return page if page.endswith("/") else settings.url


class Resolver:
    """address → the address a reader's click opens; remembers the assets it met and every file
    it looked for (what a rendering depends on besides the issue, for the build's records)."""

    def __init__(self, issue: Issue, settings: Settings) -> None:
        base = body_base(issue, settings)
        self.base = base if not base or base.endswith("/") else base.rstrip("/") + "/"
        self.site = base_for(settings.url)
        self.settings = settings
        self.folder = issue.path.parent
        self.root = settings.root if settings.root is not None else self.folder
        self._real_root: Path | None = None  # resolved once, when a file is first looked for
        self.assets: dict[str, Asset] = {}  # by the address written into the email
        self.looked_at: set[Path] = set()

    def __call__(self, address: str) -> str:
        if not self.base or not is_local(address):
            return absolute_url(address, self.base)
        candidates = issue_candidates(self.folder, address)
        self.looked_at.update(candidates)
        target = next((c for c in candidates if c.is_file()), None)
        if target is not None:  # an issue: its page, never its Markdown published as a file
            slug = slug_of(target)
            if slug is None:  # unreadable: its own error is reported where it is loaded
                return absolute_url(address, self.base)
            fragment = urlsplit(address).fragment
            return self.settings.archive_url(slug) + (f"#{fragment}" if fragment else "")
        source = self.file(address)
        resolved = absolute_url(address, self.base)
        if source is None or not resolved.startswith(self.site):
            return resolved
        parts = urlsplit(resolved)
        site_path = posixpath.normpath(unquote(parts.path)[len(urlsplit(self.site).path) :])
        if site_path.startswith(("../", "/")) or site_path in ("..", "."):
            return resolved  # above the site's root (%2e%2e/): nowhere to publish it
        published = self.site + quote(site_path, safe=_PATH_SAFE)
        published += (f"?{parts.query}" if parts.query else "") + (
            f"#{parts.fragment}" if parts.fragment else ""
        )
        if published not in self.assets:
            self.assets[published] = Asset(source, published, site_path, image_size(source))
        return published

    def candidate(self, address: str) -> Path | None:
        """Where the repository's file that a relative address names would be."""
        path = unquote(urlsplit(address).path)
        if not path or path.endswith("/"):
            return None
        return self.root / path.lstrip("/") if path.startswith("/") else self.folder / path

    def file(self, address: str) -> Path | None:
        """The repository's file that a relative address names, if there is one to publish."""
        candidate = self.candidate(address)
        if candidate is None:
            return None
        self.looked_at.add(candidate)
        path = unquote(urlsplit(address).path)
        if any(part.startswith(".") and part not in (".", "..") for part in Path(path).parts):
            return None  # a hidden file or folder (.git/config, .env) is never published
        try:
            if self._real_root is None:
                self._real_root = self.root.resolve()
            real = candidate.resolve()
            real.relative_to(self._real_root)
        except (OSError, ValueError, RuntimeError):
            return None  # outside the repository (../../etc/passwd), or a link loop
        return candidate if real.is_file() else None


def is_local(address: str) -> bool:
    """A relative address with a path: what may name a file of the repository."""
    return is_relative(address) and bool(urlsplit(address).path)


def issue_candidates(folder: Path, address: str) -> list[Path]:
    """The issue files a relative address could name: a Markdown file, or a bundle's folder
    (its index.md)."""
    parts = urlsplit(address)
    if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
        return []
    path = unquote(parts.path)
    if path.endswith(ISSUE_SUFFIXES):
        return [folder / path]
    if path.endswith("/"):
        return [folder / path / f"index{suffix}" for suffix in ISSUE_SUFFIXES]
    return []


def sibling_issue(folder: Path, address: str) -> Path | None:
    """The issue file a relative address names, if it names one that exists."""
    return next((c for c in issue_candidates(folder, address) if c.is_file()), None)


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) in px from the file's header, or None when it is no image imagesize
    reads (PNG, JPEG, GIF, WebP, TIFF, SVG with a size, AVIF/HEIC...). imagesize reads only the
    header, with no dependency, in microseconds; Pillow would decode and cost 20 ms to import."""
    import imagesize  # only issues with local files pay for it

    try:
        width, height = imagesize.get(path)
    except (OSError, ValueError):
        return None
    return (int(width), int(height)) if width > 0 and height > 0 else None
