"""One issue file → an ``Issue``: split the header, parse it, validate it, keep line numbers.

The header is read by ``header.py`` (YAML, TOML or Pelican-style). Unknown keys are kept in
``Issue.meta``; judging them (a near-miss of a known key) is the gate's job.

Anything in a file can be hostile or broken, so every problem is an ``IssueError`` with the file
and line, never another exception: dates are read as text and validated here (an impossible day,
a zone out of range, a year past 2999); text that becomes an email header (title, subject,
preheader) is one line without control characters; YAML aliases are refused (a few hundred bytes
of them expand to gigabytes); and the limits in ``core/limits.py`` apply before any parser
sees the file. Messages quote at most ~80 characters of a value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from anyascii import anyascii

from mailer.core.config import Settings
from mailer.core.errors import IssueError, MailerError
from mailer.core.limits import FIRST_YEAR, LAST_YEAR, MAX_ISSUE_BYTES, shown
from mailer.issue.header import decode, split

ISSUE_SUFFIXES = (".md", ".markdown")
KNOWN_KEYS = (
    "title",
    "subtitle",
    "date",
    "layout",
    "hero_img",
    "subject",
    "preheader",
    "send_at",
    "draft",
    "slug",
    "lang",
)
SLUG_RE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
FILE_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-")


_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%d %H:%M%z",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
)


@dataclass(frozen=True)
class Issue:
    """A parsed issue: what the rest of the pipeline reads. Lines are 1-based file lines."""

    path: Path
    slug: str
    title: str
    subject: str
    preheader: str
    date: date
    send_at: datetime
    draft: bool
    body: str
    body_line: int
    language: str
    hero_image: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)
    key_lines: Mapping[str, int] = field(default_factory=dict)
    titled_by_name: bool = False  # no `title:`: taken from the file name, as Jekyll does
    subtitle: str = ""  # shown under the title (and the preheader unless one is given)

    @property
    def name(self) -> str:
        """The output file name: the source's name (see issue_name), so outputs map one-to-one
        to sources."""
        return issue_name(self.path)

    def line_of(self, key: str) -> int | None:
        return self.key_lines.get(key)


def find_issues(paths: list[Path], *, empty_ok: bool = False) -> list[Path]:
    """Issue files named on the command line or inside the folders named, sorted per folder; a
    folder without any is an error unless `empty_ok`."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(
                p for p in path.iterdir() if p.suffix in ISSUE_SUFFIXES and p.is_file()
            ) + sorted(bundle for p in path.iterdir() if (bundle := bundle_index(p)) is not None)
            if not inside and not empty_ok:
                raise IssueError(path, "no issue files here (*.md or *.markdown)")
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        elif path.name == "issues" and not path.exists():
            # the default folder, missing: most likely a folder that is no newsletter yet
            raise IssueError(
                path,
                "no such folder: start a newsletter here with `mailer init .` (or `mailer new "
                '"Title"` for a first issue), or name the issue files to use',
            )
        else:
            raise IssueError(path, "no such file or folder")
    return found


def load_issue(path: Path, settings: Settings) -> Issue:
    """Read and validate one issue file."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_ISSUE_BYTES + 1)
    except OSError as exc:
        raise IssueError(path, f"cannot read ({exc.strerror or exc})") from None
    return parse_issue(path, raw, settings)


def bundle_index(folder: Path) -> Path | None:
    """A page bundle's issue file (``2027-01-18-slug/index.md``, its images beside it, as Hugo,
    Zola and many Jekyll sites keep them), or None when `folder` is none."""
    if not folder.is_dir():
        return None
    return next((index for s in ISSUE_SUFFIXES if (index := folder / f"index{s}").is_file()), None)


def issue_name(path: Path) -> str:
    """An issue's name, which its outputs and default slug, title and date come from: the file's
    name without its suffix, or a bundle's folder name for its index.md."""
    return path.parent.name if path.stem == "index" and path.parent.name else path.stem


def slug_from_name(stem: str) -> str:
    """The slug of a file that names none: its name, in ASCII letters, digits, "-" and "_".
    Other scripts are transliterated (anyascii: "2027-01-04-周报" → "2027-01-04-ZhouBao"), so two
    issues of one day stay apart and the address stays readable; ASCII names are unchanged."""
    if not stem.isascii():
        stem = anyascii(stem)
    return re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-")[:100].strip("-") or "issue"


def slug_of(path: Path) -> str | None:
    """An issue's slug, read cheaply (many files, before any renders): from the file name unless
    its front matter says ``slug:`` (then the file is read in full). None when the file cannot
    be read or parsed: its own error is reported where it is loaded."""
    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
    except OSError:
        return None
    header = head.split(b"\n---", 1)[0] if head.lstrip(b"\xef\xbb\xbf").startswith(b"---") else b""
    if b"slug" not in header:
        return slug_from_name(issue_name(path))
    try:
        return load_issue(path, Settings()).slug
    except MailerError:
        return None


def parse_issue(path: Path, raw: bytes, settings: Settings) -> Issue:
    """Parse an issue's bytes; `path` names it in errors and gives the default slug and date."""
    if len(raw) > MAX_ISSUE_BYTES:
        raise IssueError(
            path,
            f"the file is over {MAX_ISSUE_BYTES // 1_000_000} MB: an issue that long would be "
            "clipped by every mail client (Gmail stops at 102 KB); split it",
        )
    text = decode(path, raw)
    meta, key_lines, body, body_line = split(path, text)
    return _build(path, meta, key_lines, body, body_line, settings)


def _build(
    path: Path,
    meta: dict[str, Any],
    key_lines: dict[str, int],
    body: str,
    body_line: int,
    settings: Settings,
) -> Issue:
    def fail(key: str, message: str) -> IssueError:
        return IssueError(path, f"front matter: {message}", key_lines.get(key, 1))

    title = meta.get("title")
    titled_by_name = title is None
    if title is None:
        # as Jekyll does: "2026-11-20-hiring-and-metrics.md" is titled "Hiring and metrics"
        title = FILE_DATE.sub("", issue_name(path)).replace("-", " ").replace("_", " ").strip()
        title = title[:1].upper() + title[1:]
        if not title:
            raise IssueError(
                path, "front matter: 'title' is missing (it is the email's subject)", 1
            )
    if not isinstance(title, str):
        raise fail("title", f'"title" must be text, not {shown(title)}; put it in quotes')
    if not title.strip():
        raise fail("title", '"title" is empty')
    _one_line(title, "title", fail)

    def text_field(key: str, *, header: bool = False) -> str | None:
        value = meta.get(key)
        if value is None:
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise fail(key, f'"{key}" must be text, not {shown(value)}')
        text = str(value).strip()
        if header:
            _one_line(text, key, fail)
        return text

    subtitle = text_field("subtitle", header=True) or ""
    subject = text_field("subject", header=True) or title.strip()
    preheader = text_field("preheader", header=True)
    language = text_field("lang") or settings.language
    if not re.fullmatch(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*", language):
        raise fail(
            "lang", f'"lang" must be a language tag like "en" or "pt-BR", not {shown(language)}'
        )

    slug = text_field("slug")
    if slug is None:
        slug = slug_from_name(issue_name(path))
    elif not SLUG_RE.match(slug):
        raise fail("slug", f'"slug" may hold only letters, digits, "-" and "_" (got {shown(slug)})')

    draft = meta.get("draft", False)
    if not isinstance(draft, bool):
        if isinstance(draft, str) and draft.lower() in ("true", "false", "yes", "no"):
            draft = draft.lower() in ("true", "yes")
        else:
            raise fail("draft", f'"draft" must be true or false, not {shown(draft)}')

    zone = settings.zone
    issue_date, issue_time = _issue_date(path, meta, fail, zone)
    if "send_at" in meta:
        send_at = _aware(_parse_when(meta["send_at"], "send_at", fail), zone, "send_at", fail)
    elif issue_time is not None:
        send_at = issue_time
    else:
        send_at = _aware(datetime.combine(issue_date, settings.send_time), zone, "date", fail)

    hero = meta.get("hero_img", "")
    if not body.strip():
        raise IssueError(
            path, "the issue has no body: write something below the front matter", body_line
        )
    return Issue(
        path=path,
        slug=slug,
        title=title.strip(),
        subject=subject,
        preheader=preheader if preheader is not None else subtitle,
        date=issue_date,
        send_at=send_at,
        draft=draft,
        body=body,
        body_line=body_line,
        language=language,
        hero_image=hero if isinstance(hero, str) else "",
        meta=meta,
        key_lines=key_lines,
        titled_by_name=titled_by_name,
        subtitle=subtitle,
    )


def _issue_date(
    path: Path, meta: dict[str, Any], fail: Any, zone: ZoneInfo
) -> tuple[date, datetime | None]:
    """The issue's date, and its exact send time when the header gave a time of day too."""
    if "date" in meta and meta["date"] not in (None, ""):
        when = _parse_when(meta["date"], "date", fail)
        if isinstance(when, datetime):
            aware = _aware(when, zone, "date", fail)
            return aware.astimezone(zone).date(), aware
        return when, None
    match = FILE_DATE.match(issue_name(path) + path.suffix)
    if match:
        try:
            named = date(int(match[1]), int(match[2]), int(match[3]))
            if not FIRST_YEAR <= named.year <= LAST_YEAR:
                raise ValueError
            return named, None
        except ValueError:
            raise IssueError(
                path, f"the file name starts with an impossible date {match[0][:-1]!r}"
            ) from None
    raise IssueError(
        path,
        "front matter: no 'date' (add 'date: YYYY-MM-DD', or start the file name with YYYY-MM-DD-)",
        1,
    )


def _parse_when(value: Any, key: str, fail: Any) -> date | datetime:
    """A date or date-time from the header, checked: a real day, a real offset, a sane year."""
    if isinstance(value, datetime | date):  # TOML's own dates (already validated by tomllib)
        parsed: date | datetime = value
    elif isinstance(value, str) and len(value) <= 80:
        text = value.strip()
        zone_name = None
        parts = text.rsplit(" ", 1)
        if len(parts) == 2 and ("/" in parts[1] or parts[1] == "UTC"):
            text, zone_name = parts[0], parts[1]
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            found = _strptime(text)
            if found is None:
                raise fail(
                    key,
                    f'"{key}" is not a date ({shown(value)}): write it as YYYY-MM-DD '
                    "(a real day), or YYYY-MM-DD HH:MM with an optional offset or zone",
                ) from None
            parsed = found
        if isinstance(parsed, datetime) and zone_name:
            try:
                parsed = parsed.replace(tzinfo=ZoneInfo(zone_name))
            except (ZoneInfoNotFoundError, ValueError):
                raise fail(key, f'"{key}" names an unknown time zone {shown(zone_name)}') from None
        if isinstance(parsed, datetime) and len(text) <= 10:
            parsed = parsed.date()
    else:
        raise fail(key, f'"{key}" is not a date ({shown(value)}); write it as YYYY-MM-DD')
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise fail(
            key, f'"{key}" is in the year {parsed.year}: an issue is dated {FIRST_YEAR}–{LAST_YEAR}'
        )
    return parsed


def _strptime(text: str) -> datetime | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _aware(when: date | datetime, zone: ZoneInfo, key: str, fail: Any) -> datetime:
    """A date-time with a zone that converts to UTC (a far year in some zones cannot)."""
    if not isinstance(when, datetime):
        when = datetime.combine(when, time(0, 0))
    aware = when if when.tzinfo else when.replace(tzinfo=zone)
    try:
        aware.astimezone(UTC).astimezone(zone)
    except (OverflowError, ValueError):
        raise fail(key, f'"{key}" cannot be placed in time ({shown(str(when))})') from None
    return aware


# control characters, lone surrogates, and U+2028/U+2029 (line and paragraph separators)
_BREAKS_HEADERS = frozenset({"Cc", "Cs", "Zl", "Zp"})


def _one_line(text: str, key: str, fail: Any) -> None:
    """Header text (subject, preheader): one line, no control characters, a sane length."""
    if "\n" in text or "\r" in text:
        raise fail(key, f'"{key}" must be one line: it becomes an email header')
    bad = next((c for c in text if unicodedata.category(c) in _BREAKS_HEADERS and c != "\t"), None)
    if bad is not None:
        raise fail(key, f'"{key}" holds a control character (U+{ord(bad):04X}); remove it')
    if len(text) > 998:  # RFC 5322's line limit
        raise fail(key, f'"{key}" is {len(text)} characters; an email header holds at most 998')
