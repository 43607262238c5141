"""Sync's memory of the gate, so that a sync with nothing to change renders nothing.

To plan, sync needs each issue's key, times and content hash — all read from the file — and
whether the gate (``mailer check``) finds errors in it, which keep it a draft. That last answer
needs a rendering; it is remembered here, in ``.mailer/gate/`` beside newsletter.toml
(git-ignored, safe to delete), under the same key as the build's records (the file's bytes and
path, the settings, the templates, mailer's code and renderers). Only errors are kept: they are
what sync acts on, and no error rule depends on the time. A step that writes renders its issue
then (``sync/run.py``), and checks the content hash it planned with.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from mailer.build.cache import RECORD_LIMIT, inputs_key
from mailer.core.atomic import inside, read_regular, write_record
from mailer.core.config import Settings
from mailer.core.finding import Finding

FOLDER = Path(".mailer") / "gate"


def gate_key(source: Path, settings: Settings) -> str | None:
    return inputs_key(source, settings, "gate")


def recall_errors(key: str, source: Path, settings: Settings) -> tuple[Finding, ...] | None:
    """The gate's errors for this exact input, when remembered."""
    try:
        record = json.loads(read_regular(_record_path(source, settings), RECORD_LIMIT))
        if record["key"] != key:
            return None
        return tuple(Finding.from_dict(f) for f in record["errors"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember_errors(key: str, source: Path, settings: Settings, errors: list[Finding]) -> None:
    """Keep the gate's errors for this input; a record that cannot be written costs speed."""
    try:
        record = {"key": key, "errors": [f.as_dict() for f in errors]}
        path = _record_path(source, settings)
        write_record(inside(settings.root or path.parent, path), json.dumps(record).encode())
    except OSError:
        pass


def _record_path(source: Path, settings: Settings) -> Path:
    assert settings.root is not None  # gate_key gave no key without it
    name = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:32]
    return settings.root / FOLDER / f"{name}.json"
