"""What the provider tests share: an issue rendered for pushing, a send time, a served fake."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from mailer.issue.load import load_issue
from mailer.providers import Target
from mailer.render.pipeline import render_issue

SOON = datetime.now(UTC) + timedelta(days=3)


def make_rendered(
    write_issue, settings, body="Hello {{ 7*7 }} [world](https://x.example).", slug="week-1"
):
    path = write_issue(
        f"---\ntitle: Week 1\nsubtitle: Pre\ndate: {SOON.date()}\nslug: {slug}\n---\n{body}\n",
        name=f"{slug}.md",
    )
    return render_issue(load_issue(path, settings), settings)


def at(minutes: int = 0) -> Target:
    return Target("scheduled", (SOON + timedelta(minutes=minutes)).replace(microsecond=0))


@contextmanager
def served(name: str) -> Iterator[Any]:
    """One provider's fake on 127.0.0.1, wired as a user would configure mailer for it."""
    from fakes import FAKES

    from conftest import serve

    yield from serve(FAKES[name]())
