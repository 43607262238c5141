"""What the ``mailer`` group hands its commands: the options every command shares."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class State:
    def __init__(self, config: Path | None, debug: bool) -> None:
        self.config = config
        self.debug = debug

    def settings(self) -> Any:
        """Settings, built once the command needs them (precedence: see mailer.config), with
        the provider checked up front: one clear error rather than one per issue."""
        from mailer.config import load_settings
        from mailer.providers import lookup

        settings = load_settings(self.config)
        lookup(settings)
        return settings
