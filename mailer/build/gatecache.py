"""Sync's memory of the gate, so that a sync with nothing to change renders nothing.

To plan, sync needs each issue's key, times and content hash — all read from the file — and
whether the gate (``mailer check``) finds errors in it, which keep it a draft. That last answer
needs a rendering; it is remembered in ``.mailer/gate/`` (``records.py``: the same key and store
as the build's records). Only errors are kept: they are what sync acts on, and no error rule
depends on the time. A step that writes renders its issue then (``sync/run.py``), and checks the
content hash it planned with.
"""

from __future__ import annotations

from pathlib import Path

from mailer.build import records
from mailer.core.config import Settings
from mailer.core.finding import Finding


def gate_key(source: Path, settings: Settings) -> str | None:
    return records.inputs_key(source, settings, "gate")


def recall_errors(key: str, source: Path, settings: Settings) -> tuple[Finding, ...] | None:
    """The gate's errors for this exact input, when remembered."""
    record = records.read(_record_path(source, settings), key)
    try:
        return None if record is None else tuple(map(Finding.from_dict, record["errors"]))
    except (KeyError, TypeError, ValueError):
        return None


def remember_errors(key: str, source: Path, settings: Settings, errors: list[Finding]) -> None:
    """Keep the gate's errors for this input."""
    record = {"key": key, "errors": [f.as_dict() for f in errors]}
    records.write(_record_path(source, settings), settings, record)


def _record_path(source: Path, settings: Settings) -> Path:
    return records.record_path(settings, "gate", str(source.resolve()))
