"""Sync's memory of the gate, so that a sync with nothing to change renders nothing.

To plan, sync needs each issue's key and times — read from the file —, its content hash and
whether the gate (``mailer check``) finds errors in it, which keep it a draft. That last answer
needs a rendering; it is remembered in ``.mailer/gate/`` (``records.py``: the same key and store
as the build's records). Only errors are kept: they are what sync acts on, and no error rule
depends on the time. A step that writes renders its issue then (``sync/run.py``), and checks the
content hash it planned with.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mailer.build import records
from mailer.core.config import Settings
from mailer.core.finding import Finding
from mailer.render.pipeline import Rendered


def gate_key(source: Path, settings: Settings) -> str | None:
    return records.inputs_key(source, settings, "gate")


@dataclass(frozen=True)
class GateMemory:
    """The gate's errors for one input, and the content hash of its rendering."""

    errors: tuple[Finding, ...]
    content_hash: str


def recall_errors(key: str, source: Path, settings: Settings) -> GateMemory | None:
    """The gate's errors for this exact input, when remembered and the files it read besides
    the issue are unchanged."""
    record = records.read(_record_path(source, settings), key)
    try:
        if record is None or not records.unchanged(record["depends"]):
            return None
        errors = tuple(map(Finding.from_dict, record["errors"]))
        return GateMemory(errors, str(record["content_hash"]))
    except (KeyError, TypeError, ValueError):
        return None


def remember_errors(
    key: str, source: Path, settings: Settings, errors: list[Finding], rendered: Rendered
) -> None:
    """Keep the gate's errors for this input."""
    record = {
        "key": key,
        "errors": [f.as_dict() for f in errors],
        "content_hash": rendered.content_hash,
        "depends": records.files_state(rendered.depends),
    }
    records.write(_record_path(source, settings), settings, record)


def _record_path(source: Path, settings: Settings) -> Path:
    return records.record_path(settings, "gate", str(source.resolve()))
