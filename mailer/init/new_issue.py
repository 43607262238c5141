"""``mailer new``: the next issue file, named and dated like the ones already in the folder."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

from mailer.core.config import Settings
from mailer.core.errors import IssueError, MailerError
from mailer.issue.load import FILE_DATE, ISSUE_SUFFIXES, load_issue, slug_from_name
from mailer.issue.markdown import slugify

NUMBERED = re.compile(r"^(\d+)$")
# `slug` is written out: it is the issue's key at the provider, and a file renamed later
# keeps it (a key taken from the file name would change, and sync would see a new issue)
TEMPLATE = """---
title: "{title}"
subtitle: ""
date: {date}
slug: {slug}
draft: true
---

Write the introduction here.

## Roundup

- [A link worth reading](https://example.com/) - why it matters.
"""


def new_issue(
    folder: Path,
    settings: Settings,
    *,
    title: str | None = None,
    when: date | None = None,
    today: date | None = None,
) -> Path:
    """Create the next issue file in `folder` and return its path; never overwrites a file."""
    today = today or datetime.now(settings.zone).date()
    existing = (
        sorted(p for p in folder.glob("*") if p.suffix in ISSUE_SUFFIXES) if folder.is_dir() else []
    )
    numbers = [int(m[1]) for p in existing if (m := NUMBERED.match(p.stem))]
    issue_date = when or _next_date(existing, settings, today)
    number = len(existing) + 1
    title = title or f"Issue #{max(numbers, default=number - 1) + 1 if numbers else number}"
    if numbers and len(numbers) * 2 >= len(existing):
        width = max(len(p.stem) for p in existing if NUMBERED.match(p.stem))
        path = folder / f"{max(numbers) + 1:0{width}d}.md"
    else:
        path = folder / f"{issue_date.isoformat()}-{slugify(title)[:60].strip('-')}.md"
    slug = slug_from_name(path.stem)
    text = TEMPLATE.format(
        title=title.replace("\\", "\\\\").replace('"', '\\"'),
        date=issue_date.isoformat(),
        slug=slug,
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        raise IssueError(path, "already exists; choose another title or date") from None
    except OSError as exc:
        raise IssueError(path, f"cannot create ({exc.strerror or exc})") from None
    return path


def _next_date(existing: list[Path], settings: Settings, today: date) -> date:
    """A week after the latest issue, or today when that is already past."""
    latest: date | None = None
    for path in existing:
        match = FILE_DATE.match(path.name)
        try:
            found = (
                date(int(match[1]), int(match[2]), int(match[3]))
                if match
                else load_issue(path, settings).date
            )
        except (MailerError, ValueError):
            continue
        latest = found if latest is None or found > latest else latest
    if latest is None:
        return today
    return max(today, latest + timedelta(days=7))
