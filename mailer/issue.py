"""One issue file → an ``Issue``: split the header, parse it, validate it, keep line numbers.

Three header conventions are read, as real newsletters use them:

- YAML between ``---`` lines (Jekyll; the reference format), parsed by python-frontmatter,
- TOML between ``+++`` lines (Hugo),
- a Pelican/MultiMarkdown ``Key: value`` block at the top, ended by a blank line
  (only when it has a ``Title``, so a body that opens with "Note: ..." stays a body).

Keys are case-insensitive and ``-``/``_`` are the same (``hero-img`` = ``hero_img``). Unknown keys
are kept in ``Issue.meta``; judging them (a near-miss of a known key) is lint's job.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from frontmatter.default_handlers import YAMLHandler

from mailer.config import Settings
from mailer.errors import IssueError

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
_YAML = YAMLHandler()
_PELICAN_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9_ -]*):[ \t]*(.*)$")
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

    @property
    def name(self) -> str:
        """The output file name: the source file's stem, so outputs map one-to-one to sources."""
        return self.path.stem

    def line_of(self, key: str) -> int | None:
        return self.key_lines.get(key)


def find_issues(paths: list[Path]) -> list[Path]:
    """Issue files named on the command line or inside the folders named, sorted per folder."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.suffix in ISSUE_SUFFIXES and p.is_file())
            if not inside:
                raise IssueError(path, "no issue files here (*.md or *.markdown)")
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        else:
            raise IssueError(path, "no such file or folder")
    return found


def load_issue(path: Path, settings: Settings) -> Issue:
    """Read and validate one issue file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise IssueError(path, f"cannot read ({exc.strerror or exc})") from None
    return parse_issue(path, raw, settings)


def parse_issue(path: Path, raw: bytes, settings: Settings) -> Issue:
    """Parse an issue's bytes; `path` names it in errors and gives the default slug and date."""
    text = _decode(path, raw)
    meta, key_lines, body, body_line = _split(path, text)
    return _build(path, meta, key_lines, body, body_line, settings)


def _decode(path: Path, raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise IssueError(
            path, f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8", line
        ) from None
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _norm_key(key: str) -> str:
    return key.strip().lower().replace("-", "_").replace(" ", "_")


def _split(path: Path, text: str) -> tuple[dict[str, Any], dict[str, int], str, int]:
    """Return (meta, key → line, body, first body line)."""
    first, _, _ = text.partition("\n")
    if re.fullmatch(r"-{3,}\s*", first):
        return _split_fenced(path, text, r"(?:-{3,}|\.{3})[ \t]*", "YAML")
    if re.fullmatch(r"\+{3,}\s*", first):
        return _split_fenced(path, text, r"\+{3,}[ \t]*", "TOML")
    pelican = _split_pelican(text)
    if pelican is not None:
        return pelican
    raise IssueError(
        path,
        "no front matter: start the file with a '---' line, then 'title: ...' "
        "and 'date: YYYY-MM-DD', then '---'",
        1,
    )


def _split_fenced(
    path: Path, text: str, closing: str, kind: str
) -> tuple[dict[str, Any], dict[str, int], str, int]:
    # find the closing line without splitting the whole (long) body into lines
    opened = text.find("\n") + 1
    close = re.compile(rf"^{closing}$", re.M).search(text, opened) if opened else None
    if close is None:
        raise IssueError(path, f"{kind} front matter opened on line 1 is never closed", 1)
    header = text[opened : close.start()].removesuffix("\n")
    after = text.find("\n", close.end())
    body = text[after + 1 :] if after != -1 else ""
    end = text.count("\n", 0, close.start())  # the closing line's index, 0-based
    if kind == "YAML":
        data = _load_yaml(path, header)
        key_re = re.compile(r"^([A-Za-z_][\w -]*?)\s*:")
    else:
        data = _load_toml(path, header)
        key_re = re.compile(r"^([A-Za-z_][\w-]*)\s*=")
    key_lines: dict[str, int] = {}
    for offset, line in enumerate(header.split("\n")):
        match = key_re.match(line)
        if match:
            key_lines.setdefault(_norm_key(match[1]), offset + 2)
    meta = {_norm_key(str(k)): v for k, v in data.items()}
    return meta, key_lines, body, end + 2


def _load_yaml(path: Path, header: str) -> dict[Any, Any]:
    try:
        data = _YAML.load(header)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise IssueError(path, f"front matter: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise IssueError(path, f"front matter: {exc}", 1) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise IssueError(path, "front matter must be 'key: value' lines", 2)
    return data


def _load_toml(path: Path, header: str) -> dict[str, Any]:
    try:
        return tomllib.loads(header)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        # "at end of document" means the last header line; lines are counted from the '+++'
        line = int(match[1]) + 1 if match else header.count("\n") + 2
        message = re.sub(r"\s*\((at line \d+, column \d+|at end of document)\)", "", str(exc))
        raise IssueError(path, f"front matter: {message}", line) from None


def _split_pelican(text: str) -> tuple[dict[str, Any], dict[str, int], str, int] | None:
    lines = text.split("\n")
    meta: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    end = 0
    for i, line in enumerate(lines):
        if not line.strip():
            end = i
            break
        match = _PELICAN_LINE.match(line)
        if not match:
            return None
        key = _norm_key(match[1])
        meta.setdefault(key, match[2].strip())
        key_lines.setdefault(key, i + 1)
    else:
        end = len(lines)
    if "title" not in meta:
        return None
    return meta, key_lines, "\n".join(lines[end + 1 :]), end + 2


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
    if title is None:
        raise IssueError(path, "front matter: 'title' is missing (it is the email's subject)", 1)
    if not isinstance(title, str):
        raise fail("title", f'"title" must be text, not {title!r}; put it in quotes')
    if not title.strip():
        raise fail("title", '"title" is empty')

    def text_field(key: str) -> str | None:
        value = meta.get(key)
        if value is None:
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise fail(key, f'"{key}" must be text, not {value!r}')
        return str(value).strip()

    subtitle = text_field("subtitle") or ""
    subject = text_field("subject") or title.strip()
    preheader = text_field("preheader")
    language = text_field("lang") or settings.language

    slug = text_field("slug")
    if slug is None:
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", path.stem).strip("-") or "issue"
    elif not SLUG_RE.match(slug):
        raise fail("slug", f'"slug" may hold only letters, digits, "-" and "_" (got {slug!r})')

    draft = meta.get("draft", False)
    if not isinstance(draft, bool):
        if isinstance(draft, str) and draft.lower() in ("true", "false", "yes", "no"):
            draft = draft.lower() in ("true", "yes")
        else:
            raise fail("draft", f'"draft" must be true or false, not {draft!r}')

    zone = settings.zone
    issue_date, issue_time = _issue_date(path, meta, fail, zone)
    if "send_at" in meta:
        send_at = _aware(_parse_when(meta["send_at"], "send_at", fail), zone)
    elif issue_time is not None:
        send_at = issue_time
    else:
        send_at = datetime.combine(issue_date, settings.send_time, tzinfo=zone)

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
    )


def _issue_date(
    path: Path, meta: dict[str, Any], fail: Any, zone: ZoneInfo
) -> tuple[date, datetime | None]:
    """The issue's date, and its exact send time when the header gave a time of day too."""
    if "date" in meta and meta["date"] not in (None, ""):
        when = _parse_when(meta["date"], "date", fail)
        if isinstance(when, datetime):
            aware = _aware(when, zone)
            return aware.astimezone(zone).date(), aware
        return when, None
    match = FILE_DATE.match(path.name)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3])), None
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
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        text = value.strip()
        zone_name = None
        parts = text.rsplit(" ", 1)
        if len(parts) == 2 and ("/" in parts[1] or parts[1] == "UTC"):
            text, zone_name = parts[0], parts[1]
        try:
            parsed: date | datetime = datetime.fromisoformat(text)
        except ValueError:
            parsed = _strptime(text)  # type: ignore[assignment]
        if parsed is None:
            raise fail(key, f'"{key}" is not a date ({value!r}); write it as YYYY-MM-DD')
        if isinstance(parsed, datetime) and zone_name:
            try:
                parsed = parsed.replace(tzinfo=ZoneInfo(zone_name))
            except (ZoneInfoNotFoundError, ValueError):
                raise fail(key, f'"{key}" names an unknown time zone {zone_name!r}') from None
        if isinstance(parsed, datetime) and len(text) <= 10:
            return parsed.date()
        return parsed
    raise fail(key, f'"{key}" is not a date ({value!r}); write it as YYYY-MM-DD')


def _strptime(text: str) -> datetime | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _aware(when: date | datetime, zone: ZoneInfo) -> datetime:
    if not isinstance(when, datetime):
        when = datetime.combine(when, time(0, 0))
    return when if when.tzinfo else when.replace(tzinfo=zone)
