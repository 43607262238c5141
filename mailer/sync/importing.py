"""``mailer import``: a newsletter that already lives at a provider moves into the repository.

Each email the provider gives back (sent, scheduled and drafts) becomes one issue file —
front matter with its title, preheader, date, its send time when scheduled, ``draft: true``
for a draft, and the provider's slug — and its body as Markdown: kept when it is Markdown,
converted with markdownify when it is HTML (a maintained converter with options for every
choice made here; html2text's output wraps lines and its license is GPL). What Markdown cannot
hold (players, forms, scripts) is left out and said; the provider's own template tags are kept
as written and said.

Then each email is *adopted*: its marker (the issue's key and the content hash of the file just
written) is put where sync looks for it, and read back. The next ``mailer sync`` finds every
imported email up to date and writes nothing. Nothing is ever overwritten: a file that exists,
or a slug another issue has, is refused before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml

from mailer.checks.process import process
from mailer.core.atomic import write_atomic
from mailer.core.config import Settings
from mailer.core.errors import IssueError, MailerError, ProviderError
from mailer.issue.load import find_issues, slug_from_name, slug_of
from mailer.issue.sanitize import REMOVED_WITH_CONTENT
from mailer.providers.base import Exported, Provider

# dropped with what they hold, as the sanitizer drops them from every email
_LEFT_OUT = sorted(REMOVED_WITH_CONTENT)
_LEFT_OUT_TAG = re.compile(
    r"<("
    + "|".join(_LEFT_OUT)
    + r")\b[^>]*>.*?</\1\s*>|<(?:"
    + "|".join(_LEFT_OUT)
    + r")\b[^>]*/?>",
    re.I | re.S,
)
_TEMPLATE_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_DATED = re.compile(r"\d{4}-\d{2}-\d{2}-")


@dataclass(frozen=True)
class Imported:
    """One email written as an issue file (or, in a dry run, that would be)."""

    path: Path
    subject: str
    state: str  # draft, scheduled, sent
    notes: tuple[str, ...] = ()  # what could not be converted as it was


@dataclass
class ImportReport:
    written: list[Imported] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (subject, why)
    failed: list[tuple[str, MailerError]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed


def import_emails(
    provider: Provider,
    settings: Settings,
    folder: Path,
    *,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Write an issue file for each of the provider's emails into `folder`, and adopt it."""
    report = ImportReport(dry_run=dry_run)
    exported = provider.export_emails()
    taken = _slugs_in(folder)
    planned: list[tuple[Exported, Path, str]] = []
    for email in exported:
        subject = email.remote.subject or email.remote.id
        if email.remote.key is not None:
            report.skipped.append((subject, f"already mailer's (issue {email.remote.key!r})"))
            continue
        if email.remote.duplicate_of is not None:
            report.skipped.append((subject, "a copy mailer released"))
            continue
        slug = _slug(email)
        path = folder / f"{_date_of(email, settings)}-{slug}.md"
        if _DATED.match(slug):
            path = folder / f"{slug}.md"
        if path.exists():
            report.failed.append(
                (subject, IssueError(path, "exists already: mailer import never overwrites"))
            )
        elif slug in taken:
            report.failed.append(
                (subject, IssueError(taken[slug], f"already has the slug {slug!r}"))
            )
        else:
            taken[slug] = path
            planned.append((email, path, slug))
    for n, (email, path, slug) in enumerate(planned):
        if progress is not None:
            progress(n + 1, len(planned))
        text, notes = issue_text(email, slug, settings)
        done = Imported(path, email.remote.subject, email.remote.state, notes)
        if dry_run:
            report.written.append(done)
            continue
        try:
            write_atomic(path, text.encode("utf-8"), 0o644)
            report.written.append(done)
            rendered = process(path, settings, gate=False)
            provider.adopt(email.remote, slug, rendered.content_hash, path.name)
            back = provider.get(email.remote.id)
            if back.key != slug or back.content_hash != rendered.content_hash:
                raise ProviderError(
                    provider.display_name,
                    f"did not keep mailer's marker on {email.remote.id} (read back: "
                    f"{back.key!r}); sync would not know this email: run import again",
                )
        except MailerError as exc:
            report.failed.append((email.remote.subject, exc))
    return report


def issue_text(email: Exported, slug: str, settings: Settings) -> tuple[str, tuple[str, ...]]:
    """The issue file for an email, and what could not be converted as it was."""
    notes: list[str] = []
    body = email.body
    if email.body_format == "html":
        body, notes = html_to_markdown(body)
    tags = sorted(set(_TEMPLATE_TAG.findall(body)))
    if tags:
        shown = ", ".join(tags[:3]) + (" …" if len(tags) > 3 else "")
        notes.append(f"kept as written, for the provider to fill in: {shown}")
    header: dict[str, object] = {"title": email.remote.subject or slug}
    if email.preheader:
        header["preheader"] = email.preheader
    when = _when(email) or datetime.now(settings.zone)
    header["date"] = when.astimezone(settings.zone).date()
    if email.remote.state == "scheduled" and email.remote.publish_at is not None:
        header["send_at"] = email.remote.publish_at.astimezone(settings.zone).isoformat()
    if email.remote.state == "draft":
        header["draft"] = True
    header["slug"] = slug
    front = yaml.safe_dump(header, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{front}---\n\n{body.strip()}\n", tuple(notes)


def html_to_markdown(html: str) -> tuple[str, list[str]]:
    """Markdown for an HTML body (markdownify), and what was left out."""
    from markdownify import markdownify  # only an import pays for it

    notes = []
    left_out: dict[str, int] = {}
    for match in _LEFT_OUT_TAG.finditer(html):
        name = re.match(r"<(\w+)", match[0])
        if name:
            left_out[name[1].lower()] = left_out.get(name[1].lower(), 0) + 1
    if left_out:
        listed = ", ".join(f"<{tag}> ×{count}" for tag, count in sorted(left_out.items()))
        notes.append(f"left out, as mail clients do not show them: {listed}")
    cleaned = _LEFT_OUT_TAG.sub("", html)
    # the provider's template tags pass through untouched (markdownify would escape their "_")
    tags: list[str] = []

    def hold(match: re.Match[str]) -> str:
        tags.append(match[0])
        return f"MAILERTAG{len(tags) - 1}X"

    held = _TEMPLATE_TAG.sub(hold, cleaned)
    markdown = markdownify(held, heading_style="ATX", bullets="-", escape_misc=False)
    markdown = re.sub(r"MAILERTAG(\d+)X", lambda m: tags[int(m[1])], markdown)
    return re.sub(r"\n{3,}", "\n\n", markdown).strip(), notes


def _slug(email: Exported) -> str:
    slug = email.slug if re.fullmatch(r"[A-Za-z0-9_-]{1,100}", email.slug or "") else ""
    return slug or slug_from_name(email.remote.subject or email.remote.id).strip("-")[:80]


def _when(email: Exported) -> datetime | None:
    return email.remote.publish_at or email.remote.created


def _date_of(email: Exported, settings: Settings) -> str:
    when = _when(email) or datetime.now(settings.zone)
    return when.astimezone(settings.zone).date().isoformat()


def _slugs_in(folder: Path) -> dict[str, Path]:
    """The slugs of the issues already in `folder`."""
    if not folder.is_dir():
        return {}
    slugs: dict[str, Path] = {}
    for path in find_issues([folder], empty_ok=True):
        slug = slug_of(path)
        if slug is not None:
            slugs[slug] = path
    return slugs
