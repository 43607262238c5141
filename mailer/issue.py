"""One issue file → an ``Issue``: split the header, parse it, validate it, keep line numbers.

Three header conventions are read, as real newsletters use them:

- YAML between ``---`` lines (Jekyll; the reference format), parsed by python-frontmatter,
- TOML between ``+++`` lines (Hugo),
- a Pelican/MultiMarkdown ``Key: value`` block at the top, ended by a blank line
  (only when it has a ``Title``, so a body that opens with "Note: ..." stays a body).

Keys are case-insensitive and ``-``/``_`` are the same (``hero-img`` = ``hero_img``). Unknown keys
are kept in ``Issue.meta``; judging them (a near-miss of a known key) is lint's job.

Anything in a file can be hostile or broken, so every problem is an ``IssueError`` with the file
and line, never another exception: dates are read as text and validated here (an impossible day,
a zone out of range, a year past 2999); text that becomes an email header (title, subject,
preheader) is one line without control characters; YAML aliases are refused (a few hundred bytes
of them expand to gigabytes); and the limits in ``mailer/limits.py`` apply before any parser sees
the file. Messages quote at most ~80 characters of a value.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from mailer.config import Settings
from mailer.errors import IssueError
from mailer.limits import FIRST_YEAR, LAST_YEAR, MAX_HEADER_BYTES, MAX_ISSUE_BYTES, shown

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


class _FrontMatterLoader(yaml.CSafeLoader):
    """PyYAML's safe loader (in C), with dates left as text for ``_parse_when``: PyYAML's own
    date reading raises a bare ValueError on an impossible day, with no line."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}


def _refuse_aliases(root: yaml.Node) -> None:
    """A node reached twice in the composed document came through an alias (*name)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise yaml.MarkedYAMLError(
                problem="YAML aliases (*name) are not allowed in front matter",
                problem_mark=node.start_mark,
            )
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))


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
        with path.open("rb") as fh:
            raw = fh.read(MAX_ISSUE_BYTES + 1)
    except OSError as exc:
        raise IssueError(path, f"cannot read ({exc.strerror or exc})") from None
    return parse_issue(path, raw, settings)


def parse_issue(path: Path, raw: bytes, settings: Settings) -> Issue:
    """Parse an issue's bytes; `path` names it in errors and gives the default slug and date."""
    if len(raw) > MAX_ISSUE_BYTES:
        raise IssueError(
            path,
            f"the file is over {MAX_ISSUE_BYTES // 1_000_000} MB: an issue that long would be "
            "clipped by every mail client (Gmail stops at 102 KB); split it",
        )
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
    if len(header) > MAX_HEADER_BYTES:
        raise IssueError(
            path,
            f"the front matter is over {MAX_HEADER_BYTES // 1000} KB; keep it to a few keys",
            1,
        )
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
    loader = _FrontMatterLoader(header)
    try:
        node = loader.get_single_node()
        if node is not None:
            _refuse_aliases(node)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise IssueError(path, f"front matter: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise IssueError(path, f"front matter: {shown(str(exc))}", 1) from None
    except (ValueError, OverflowError, RecursionError) as exc:  # a number or value YAML can't hold
        raise IssueError(path, f"front matter: {shown(str(exc))}", 1) from None
    finally:
        loader.dispose()
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
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", path.stem).strip("-") or "issue"
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
    match = FILE_DATE.match(path.name)
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
