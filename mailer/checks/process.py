"""The one way from an issue file to its email: loaded (``mailer.issue``), rendered
(``mailer.render``), then held to the gate (this package). build, check, preview, archive,
sync, shots and test-send all take it, so a stage added here reaches every command at once."""

from __future__ import annotations

from pathlib import Path

from mailer.checks import check_rendered
from mailer.core.config import Settings
from mailer.issue.load import load_issue
from mailer.render.pipeline import Rendered, render_issue


def process(source: Path, settings: Settings, *, gate: bool = True) -> Rendered:
    """The issue at `source` as subscribers will receive it, with the gate's findings unless
    `gate` is False (where none is shown: the archive's pages, the content sync writes)."""
    rendered = render_issue(load_issue(source, settings), settings)
    return check_rendered(rendered, settings) if gate else rendered
