"""``mailer archive``: the newsletter's public web archive and Atom feed, from the same issues.

Each published issue (not a draft, send time passed) gets a page at the newsletter's
``archive_path`` — the address the email's "view in browser" link already points at — with the
same content as the email (the same sanitized HTML, so links and images match), in a readable
web layout, and the repository's pictures and files it refers to copied, byte for byte, to the
addresses the email gives them (beside the page). Also: an index (newest first), an Atom feed
with the full content of the latest issues, and a sitemap.

Two passes over the batch loop, so memory stays flat whatever the archive's size:

    list    every issue's header → a small Page (nothing rendered); ordered newest first
    write   each published page rendered and written in a worker, with its neighbours; only
            the newest `feed_items` bodies come back, for the feed

An issue that cannot load or render is reported and fails the run (exit 1); the others are
still written.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from mailer.checks.process import process
from mailer.core.atomic import holds, inside, remove_stale_temps, write_atomic
from mailer.core.config import Settings, direction_of
from mailer.core.errors import IssueError, MailerError, OutputError
from mailer.core.urls import absolute_url, base_for, site_address
from mailer.issue import batch
from mailer.issue.load import Issue, load_issue
from mailer.render.templating import render_template

# XML 1.0 allows tab, newline, carriage return and everything from U+0020 but the surrogates
# and U+FFFE/U+FFFF; an issue's text may hold other control characters
_NOT_XML = dict.fromkeys([*range(0x20), 0xFFFE, 0xFFFF])
for _allowed in (0x9, 0xA, 0xD):
    del _NOT_XML[_allowed]


@dataclass(frozen=True)
class Page:
    """One published issue as the archive lists it: small, the index holds every one."""

    source: Path
    slug: str
    path: str  # relative to the archive root, e.g. "issues/week-1/"
    title: str
    subject: str
    preheader: str
    date: date
    send_at: datetime
    hero_image: str
    language: str

    @classmethod
    def of(cls, issue: Issue, settings: Settings) -> Page:
        return cls(
            issue.path,
            issue.slug,
            settings.archive_path.format(slug=issue.slug).strip("/") + "/",
            issue.title,
            issue.subject,
            issue.preheader,
            issue.date,
            issue.send_at,
            issue.hero_image,
            issue.language,
        )


@dataclass(frozen=True)
class Listed:
    """What the first pass knows of an issue: its page, or why it is not in the archive."""

    page: Page | None
    left_out: str = ""  # "draft", "not sent yet"
    due: tuple[datetime, str] | None = None  # when an issue not sent yet goes out, and its subject


@dataclass(frozen=True)
class Job:
    """One page to write, with what its page shows of its neighbours."""

    page: Page
    newer: Page | None
    older: Page | None
    root: str
    in_feed: bool

    @property
    def source(self) -> Path:
        return self.page.source


@dataclass
class ArchiveResult:
    pages: list[Page]
    skipped: list[tuple[Path, str]]  # (source, why: draft, not sent yet)
    next_due: tuple[datetime, str] | None = None  # the first issue not sent yet: when, subject
    failed: list[MailerError] = field(default_factory=list)
    files: int = 0
    assets: int = 0  # pictures and files copied beside their pages
    seconds: float = 0.0


def list_one(source: Path, settings: Settings, now: datetime) -> Listed:
    """The first pass, for one issue (a batch task)."""
    issue = load_issue(source, settings)
    if issue.draft:
        return Listed(None, "draft")
    if issue.send_at > now:
        return Listed(None, "not sent yet", (issue.send_at, issue.subject))
    return Listed(Page.of(issue, settings))


@dataclass(frozen=True)
class Written:
    """What writing one page reports: its body if the feed shows it, and the repository's files
    it published beside it (site path, source)."""

    body: str | None
    assets: tuple[tuple[str, Path], ...]


def write_one(job: Job, settings: Settings, out_dir: Path) -> Written:
    """The second pass, for one page: rendered and written, with the pictures and files it
    refers to copied byte for byte to their published addresses (``render/links.py``)."""
    rendered = process(job.source, settings, gate=False)
    files: dict[str, str | bytes] = {}
    for asset in rendered.assets:
        try:
            files[asset.site_path] = asset.source.read_bytes()
        except OSError as exc:
            raise IssueError(
                job.source, f"cannot read {asset.source} ({exc.strerror or exc})"
            ) from None
    html = render_template(
        settings.template_dirs,
        "archive_issue.html.j2",
        page=job.page,
        body_html=rendered.body_html,
        newer=job.newer,
        older=job.older,
        settings=settings,
        root=job.root,
        # with `url`, the page's own address and an absolute image: what link previews need
        page_url=site_address(settings.url, job.page.path) if settings.url else "",
        hero_image=absolute_url(job.page.hero_image, base_for(settings.url)),
        lang=job.page.language,
        direction=direction_of(job.page.language),
    )
    files[job.page.path + "index.html"] = html
    _write_all(out_dir, files)
    published = tuple((a.site_path, a.source) for a in rendered.assets)
    return Written(rendered.body_html if job.in_feed else None, published)


def build_archive(
    paths: list[Path],
    settings: Settings,
    out_dir: Path,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ArchiveResult:
    """Write the archive of every published issue under `paths` into `out_dir`."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    remove_stale_temps(out_dir, recursive=True)  # what killed runs left, before this one writes
    result = ArchiveResult([], [])
    for outcome in batch.run_paths(list_one, paths, settings, now):
        if outcome.error is not None:
            result.failed.append(outcome.error)
        elif outcome.value is not None and outcome.value.page is not None:
            result.pages.append(outcome.value.page)
        elif outcome.value is not None:
            result.skipped.append((outcome.source, outcome.value.left_out))
            due = outcome.value.due
            if due is not None and (result.next_due is None or due < result.next_due):
                result.next_due = due
    result.pages.sort(key=lambda p: (p.send_at, p.slug), reverse=True)
    jobs = [
        Job(
            page,
            result.pages[n - 1] if n > 0 else None,
            result.pages[n + 1] if n + 1 < len(result.pages) else None,
            _up(page.path),
            n < settings.feed_items,
        )
        for n, page in enumerate(result.pages)
    ]
    feed: list[tuple[Page, str]] = []
    written: list[Page] = []
    published: dict[str, Path] = {}  # site path → the file copied there
    for n, done in enumerate(batch.run(write_one, jobs, settings, out_dir)):
        if progress is not None:
            progress(n + 1, len(jobs))
        if done.error is not None or done.value is None:
            result.failed.extend([done.error] if done.error else [])
            continue
        written.append(jobs[n].page)
        if done.value.body is not None:
            feed.append((jobs[n].page, done.value.body))
        clash = _clashing_asset(published, done.value.assets)
        if clash:
            result.failed.append(IssueError(jobs[n].source, clash))
        result.assets += len(done.value.assets)
    result.pages = written
    index = render_template(
        settings.template_dirs,
        "archive_index.html.j2",
        pages=written,
        settings=settings,
        root="",
        # an archive with nothing in it yet says why, and when that changes
        next_due=result.next_due,
        drafts=sum(why == "draft" for _, why in result.skipped),
    )
    files = {
        "index.html": index,
        "feed.xml": atom_feed(feed, settings, now),
    }
    if settings.url:  # a sitemap lists full addresses: without `url` there are none to give
        files["sitemap.xml"] = sitemap(written, settings)
    _write_all(out_dir, files)
    result.files = len(written) + len(files)
    result.seconds = time.perf_counter() - started
    return result


def _clashing_asset(published: dict[str, Path], assets: tuple[tuple[str, Path], ...]) -> str:
    """Why two different files went to one address ("" when none did); notes the new ones."""
    for site_path, source in assets:
        earlier = published.setdefault(site_path, source)
        if earlier != source and not _same_bytes(earlier, source):
            return (
                f"{source} and {earlier} are both published at {site_path}: the page of one of "
                "them shows the other's picture; rename one of them"
            )
    return ""


def _same_bytes(a: Path, b: Path) -> bool:
    try:
        return a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def _up(path: str) -> str:
    """The relative way back to the archive root from a page's folder."""
    return "../" * path.strip("/").count("/") + "../" if path.strip("/") else ""


def absolute(settings: Settings, path: str) -> str:
    """A path of the archive site as a full address ("" is the site itself)."""
    return site_address(settings.url, path)


def atom_feed(entries: list[tuple[Page, str]], settings: Settings, now: datetime) -> str:
    """An Atom 1.0 feed (RFC 4287) with the full content of the latest issues."""
    updated = max((page.send_at for page, _ in entries), default=now).astimezone(UTC)
    feed_id = absolute(settings, "") or f"tag:mailer.invalid,2000:{_tag(settings.name)}"
    home, self_link = absolute(settings, "") or "./", absolute(settings, "feed.xml")
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{_xml(settings.language)}">',
        f"  <title>{_xml(settings.name)}</title>",
        f"  <id>{_xml(feed_id)}</id>",
        f"  <updated>{_iso(updated)}</updated>",
        f"  <author><name>{_xml(settings.name)}</name></author>",
        f'  <link rel="alternate" type="text/html" href="{_xml(home)}"/>',
        f'  <link rel="self" type="application/atom+xml" href="{_xml(self_link)}"/>',
        "  <generator>mailer</generator>",
    ]
    for page, body_html in entries:
        link = absolute(settings, page.path)
        entry_id = link if settings.url else f"tag:mailer.invalid,{page.date}:{page.slug}"
        lines += [
            "  <entry>",
            f"    <title>{_xml(page.subject)}</title>",
            f"    <id>{_xml(entry_id)}</id>",
            f'    <link rel="alternate" type="text/html" href="{_xml(link)}"/>',
            f"    <published>{_iso(page.send_at)}</published>",
            f"    <updated>{_iso(page.send_at)}</updated>",
        ]
        if page.preheader:
            lines.append(f"    <summary>{_xml(page.preheader)}</summary>")
        lines += [
            f'    <content type="html">{_xml(body_html)}</content>',
            "  </entry>",
        ]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


def sitemap(pages: list[Page], settings: Settings) -> str:
    urls = [absolute(settings, "")] + [absolute(settings, p.path) for p in pages]
    body = "".join(f"  <url><loc>{_xml(u)}</loc></url>\n" for u in urls)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + body + "</urlset>\n"
    )


def _xml(text: str) -> str:
    """Text for an XML document: escaped, and without the characters XML cannot hold."""
    return escape(text.translate(_NOT_XML), {'"': "&quot;"})  # also inside attributes


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _tag(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-") or "newsletter"


def _write_all(out_dir: Path, files: Mapping[str, str | bytes]) -> None:
    """Each file written atomically, unless it already holds those bytes; files of pages no
    longer in the archive are left alone."""
    try:
        for name, text in files.items():
            data = text.encode("utf-8") if isinstance(text, str) else text
            # a page folder that is a link to elsewhere (site/issues → /etc) is refused
            path = inside(out_dir, out_dir / name)
            if not holds(path, data):
                write_atomic(path, data, 0o644)
    except OSError as exc:
        raise OutputError(
            exc.filename or out_dir, f"cannot write ({exc.strerror or exc})"
        ) from None
