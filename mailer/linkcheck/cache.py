"""The addresses found good lately, in ``.mailer/links.json`` beside newsletter.toml.

Only good answers are kept (a bad one is asked again next time: it may have been fixed), each
with when it was asked; entries older than the run's ``max_age`` are not used. The file is
git-ignored and safe to delete; without a newsletter.toml nothing is kept. A file that cannot
be read counts as empty, one that cannot be written costs only speed.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timedelta
from pathlib import Path

from mailer.core.atomic import inside, read_regular, write_atomic
from mailer.core.config import Settings

FILE = Path(".mailer") / "links.json"
LIMIT = 64 << 20  # bytes: a million addresses; a larger file is not ours


def _path(settings: Settings) -> Path | None:
    return settings.root / FILE if settings.root is not None else None


def load(settings: Settings, max_age: timedelta, now: datetime) -> dict[str, datetime]:
    path = _path(settings)
    if path is None:
        return {}
    try:
        data = json.loads(read_regular(path, LIMIT))
        good = {address: datetime.fromisoformat(when) for address, when in data["good"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    return {
        address: when
        for address, when in good.items()
        # a time without a zone was not written by mailer: asked again, never compared
        if when.tzinfo is not None and now - max_age < when <= now
    }


def save(settings: Settings, good: dict[str, datetime]) -> None:
    path = _path(settings)
    if path is None:
        return
    data = {"good": {address: when.isoformat() for address, when in sorted(good.items())}}
    with contextlib.suppress(OSError):  # a cache that cannot be written only costs speed
        write_atomic(inside(path.parent.parent, path), json.dumps(data).encode())
