"""What the ``mailer`` group hands its commands: the options every command shares, and the
progress line the long ones show."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


class State:
    def __init__(self, config: Path | None, debug: bool) -> None:
        self.config = config
        self.debug = debug
        self._settings: Any = None

    def settings(self) -> Any:
        """Settings, built once the command needs them (precedence: see mailer.core.config), with
        the provider checked up front: one clear error rather than one per issue."""
        if self._settings is None:
            self._settings = self.load()
        return self._settings

    def load(self) -> Any:
        """Settings read afresh (the preview reads them again when newsletter.toml changes)."""
        from mailer.core.config import load_settings

        return load_settings(self.config)

    def folder(self, name: str) -> Path:
        """A default folder (issues, build, site) beside newsletter.toml, wherever the command
        runs from; in the current folder when there is no newsletter.toml."""
        root = self.settings().root
        return root / name if root is not None else Path(name)

    def issues(self, paths: tuple[Path, ...]) -> list[Path]:
        """The paths named, or the newsletter's issues/ folder."""
        return list(paths) or [self.folder("issues")]


def progress_line(label: str) -> Callable[[int, int], None] | None:
    """A line on the terminal that counts up as a long command works; nothing when piped."""
    if not sys.stderr.isatty():
        return None
    started = time.monotonic()
    shown = [0.0]

    def show(done: int, total: int) -> None:
        now = time.monotonic()
        if now - shown[0] < 0.1 and done != total:
            return  # ten times a second is enough to see it move
        shown[0] = now
        count = f"{done}/{total}" if total else str(done)
        click.echo(f"\r{label} {count}, {now - started:.1f}s", err=True, nl=done == total)

    return show
