"""Rules over the issue's header: subject, preheader, keys, and when it is sent."""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from mailer.checks.runner import Candidate
from mailer.core.finding import Finding
from mailer.issue.load import KNOWN_KEYS, Issue

SUBJECT_MAX = 100
RECENT = timedelta(days=7)  # a send time passed longer ago than this belongs to the archive


def check_subject(s: Candidate) -> Iterator[Finding]:
    subject = s.rendered.subject.strip()
    line = s.issue.line_of("subject") or s.issue.line_of("title")
    if not subject:
        yield s.finding(line, "subject", "error", "the subject is empty")
    elif len(subject) > SUBJECT_MAX:
        yield s.finding(
            line,
            "subject",
            "warning",
            f"the subject is {len(subject)} characters; inboxes cut it near 60-100",
        )


def check_title(s: Candidate) -> Iterator[Finding]:
    if s.issue.titled_by_name:
        yield s.finding(
            1,
            "title",
            "warning",
            f"no title: it is taken from the file name ({s.issue.title!r}), as Jekyll does; "
            "add 'title:' to the front matter to choose the subject yourself",
        )


def check_preheader(s: Candidate) -> Iterator[Finding]:
    """No preheader, and what the inbox shows instead is poor: the body's first words are
    few, an address, or the subject again. A body that opens with a sentence reads well
    there (most real issues without a subtitle do), and is left alone."""
    if s.rendered.preheader.strip():
        return
    opening = " ".join(html.unescape(_TAGS.sub(" ", s.rendered.body_html)).split())[:PREVIEW]
    subject = s.rendered.subject.lower()
    repeats = len(subject) >= 12 and opening.lower().startswith(subject)
    address = opening.lower().startswith(("http://", "https://", "www."))
    if len(opening) >= MIN_PREVIEW and not repeats and not address:
        return
    shown = f"{opening!r}" if opening else "nothing (the body has no text)"
    yield s.finding(
        s.issue.line_of("preheader") or s.issue.line_of("subtitle") or 1,
        "preheader",
        "warning",
        f"no preheader: after the subject, inboxes would show {shown}; "
        "add a 'subtitle' (or 'preheader') to the front matter",
    )


PREVIEW = 90  # characters of preview an inbox shows after the subject, about
MIN_PREVIEW = 40  # fewer than this: the preview shows little, or the footer's words
_TAGS = re.compile(r"<[^>]*>")


def check_front_matter_key(s: Candidate) -> Iterator[Finding]:
    for key in s.issue.meta:
        if key in KNOWN_KEYS:
            continue
        close = difflib.get_close_matches(key, KNOWN_KEYS, n=1, cutoff=0.8)
        if close:
            yield s.finding(
                s.issue.line_of(key),
                "front-matter-key",
                "warning",
                f'unknown key "{key}": did you mean "{close[0]}"? (it is ignored)',
            )


def check_hero_image(s: Candidate) -> Iterator[Finding]:
    hero = s.issue.meta.get("hero_img")
    if hero in (None, ""):
        return
    if not isinstance(hero, str) or not re.match(r"^(https?://\S+|/\S+)$", hero.strip()):
        yield s.finding(
            s.issue.line_of("hero_img"),
            "hero-image",
            "warning",
            f"hero-img should be an image URL, not {hero!r}",
        )


def check_schedule_past(s: Candidate) -> Iterator[Finding]:
    issue = s.issue
    now = datetime.now(UTC)
    if issue.draft or not now - RECENT < issue.send_at < now:
        return
    local = issue.send_at.astimezone(s.settings.zone).strftime("%Y-%m-%d %H:%M %Z")
    yield s.finding(
        issue.line_of("send_at") or issue.line_of("date"),
        "schedule-past",
        "warning",
        f"the send time ({local}) has passed: sync will not send it; if it has not gone out, "
        "give it a new date or send_at",
    )


@dataclass(frozen=True)
class Dated:
    """What the rules across issues need of one issue (small: it crosses from a worker)."""

    path: Path
    date: date
    draft: bool
    line: int | None

    @classmethod
    def of(cls, issue: Issue) -> Dated:
        return cls(issue.path, issue.date, issue.draft, issue.line_of("date"))


def check_issues(issues: Iterable[Dated]) -> Iterator[Finding]:
    """Rules across issues: two (non-draft) issues on the same day."""
    by_day: dict[object, Dated] = {}
    for issue in sorted(issues, key=lambda i: (i.date, str(i.path))):
        if issue.draft:
            continue
        first = by_day.setdefault(issue.date, issue)
        if first is not issue:
            yield Finding(
                issue.path,
                issue.line,
                "schedule-same-day",
                "warning",
                f"{first.path} is dated the same day ({issue.date}); subscribers "
                "would get two emails",
            )
