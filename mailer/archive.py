"""``mailer archive``: the newsletter's public web archive and Atom feed, from the same issues.

Each published issue (not a draft, send time passed) gets a page at the newsletter's
``archive_path`` — the address the email's "view in browser" link already points at — with the
same content as the email (the same sanitized HTML, so links and images match), in a readable
web layout. Also: an index (newest first), an Atom feed with full content, and a sitemap.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from mailer.config import Settings
from mailer.errors import MailerError, OutputError
from mailer.issue import Issue, find_issues, load_issue
from mailer.render import Rendered, render_issue
from mailer.templates import render_template
from mailer.urls import site_address


@dataclass(frozen=True)
class Page:
    """One issue in the archive."""

    rendered: Rendered
    path: str  # relative to the archive root, e.g. "issues/week-1/"

    @property
    def issue(self) -> Issue:
        return self.rendered.issue


@dataclass
class ArchiveResult:
    pages: list[Page]
    skipped: list[tuple[Path, str]]  # (source, why: draft, future, or the error)
    files: int
    seconds: float


def build_archive(
    paths: list[Path], settings: Settings, out_dir: Path, now: datetime | None = None
) -> ArchiveResult:
    """Render the archive of every published issue under `paths` into `out_dir`."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    pages: list[Page] = []
    skipped: list[tuple[Path, str]] = []
    for source in find_issues(paths):
        try:
            issue = load_issue(source, settings)
        except MailerError as exc:
            skipped.append((source, str(exc)))
            continue
        if issue.draft:
            skipped.append((source, "draft"))
            continue
        if issue.send_at > now:
            skipped.append((source, "not sent yet"))
            continue
        rendered = render_issue(issue, settings)
        pages.append(Page(rendered, settings.archive_path.format(slug=issue.slug).strip("/") + "/"))
    pages.sort(key=lambda p: (p.rendered.issue.send_at, p.rendered.issue.slug), reverse=True)
    files: dict[str, str] = {}
    for n, page in enumerate(pages):
        newer = pages[n - 1] if n > 0 else None
        older = pages[n + 1] if n + 1 < len(pages) else None
        files[page.path + "index.html"] = render_template(
            settings.template_dirs,
            "archive_issue.html.j2",
            page=page,
            newer=newer,
            older=older,
            settings=settings,
            root=_up(page.path),
        )
    files["index.html"] = render_template(
        settings.template_dirs, "archive_index.html.j2", pages=pages, settings=settings, root=""
    )
    files["feed.xml"] = atom_feed(pages, settings, now)
    files["sitemap.xml"] = sitemap(pages, settings)
    _write_all(out_dir, files)
    return ArchiveResult(pages, skipped, len(files), time.perf_counter() - started)


def _up(path: str) -> str:
    """The relative way back to the archive root from a page's folder."""
    return "../" * path.strip("/").count("/") + "../" if path.strip("/") else ""


def absolute(settings: Settings, path: str) -> str:
    """A path of the archive site as a full address ("" is the site itself)."""
    return site_address(settings.url, path)


def atom_feed(pages: list[Page], settings: Settings, now: datetime) -> str:
    """An Atom 1.0 feed (RFC 4287) with each issue's full content."""
    updated = max((p.issue.send_at for p in pages), default=now).astimezone(UTC)
    feed_id = absolute(settings, "") or f"tag:mailer.invalid,2000:{_tag(settings.name)}"
    home, self_link = absolute(settings, "") or "./", absolute(settings, "feed.xml")
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{escape(settings.language)}">',
        f"  <title>{escape(settings.name)}</title>",
        f"  <id>{escape(feed_id)}</id>",
        f"  <updated>{_iso(updated)}</updated>",
        f"  <author><name>{escape(settings.name)}</name></author>",
        f'  <link rel="alternate" type="text/html" href="{escape(home)}"/>',
        f'  <link rel="self" type="application/atom+xml" href="{escape(self_link)}"/>',
        "  <generator>mailer</generator>",
    ]
    for page in pages:
        issue = page.issue
        link = absolute(settings, page.path)
        entry_id = link if settings.url else f"tag:mailer.invalid,{issue.date}:{issue.slug}"
        lines += [
            "  <entry>",
            f"    <title>{escape(page.rendered.subject)}</title>",
            f"    <id>{escape(entry_id)}</id>",
            f'    <link rel="alternate" type="text/html" href="{escape(link)}"/>',
            f"    <published>{_iso(issue.send_at)}</published>",
            f"    <updated>{_iso(issue.send_at)}</updated>",
        ]
        if page.rendered.preheader:
            lines.append(f"    <summary>{escape(page.rendered.preheader)}</summary>")
        lines += [
            f'    <content type="html">{escape(page.rendered.body_html)}</content>',
            "  </entry>",
        ]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


def sitemap(pages: list[Page], settings: Settings) -> str:
    urls = [absolute(settings, "")] + [absolute(settings, p.path) for p in pages]
    body = "".join(f"  <url><loc>{escape(u or './')}</loc></url>\n" for u in urls)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + body + "</urlset>\n"
    )


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _tag(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-") or "newsletter"


def _write_all(out_dir: Path, files: dict[str, str]) -> None:
    """Each file written atomically; files of pages no longer in the archive are left alone."""
    tmp = ""
    try:
        for name, text in files.items():
            target = out_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
            tmp = ""
    except OSError as exc:
        if tmp:  # the file being written when it failed (a full disk): not left behind
            Path(tmp).unlink(missing_ok=True)
        raise OutputError(
            exc.filename or out_dir, f"cannot write ({exc.strerror or exc})"
        ) from None
