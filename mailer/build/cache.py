"""The build's memory, so that building again what did not change renders and writes nothing.

For each output folder and issue, a record in ``.mailer/build/`` (``records.py``: the key of
everything the outputs are made from, and the store) holds what the build reported. It is used
only when its key matches (the output folder is part of it), the other files the rendering read
(pictures, linked issues) are unchanged, the four files are still the ones the build wrote (size
and modification time), and no time-dependent finding can have changed since (an issue whose
send time passed in between is checked again).
Anything unreadable is a miss.

This is the one seam of the shortcut: ``build.build_one`` asks here first; tests build with and
without the record and compare every byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mailer.build import records
from mailer.build.output import SUFFIXES
from mailer.checks.meta import RECENT
from mailer.core.config import Settings
from mailer.core.finding import Finding
from mailer.issue.load import issue_name


@dataclass(frozen=True)
class Remembered:
    """What a build of one issue reported, as the record keeps it."""

    subject: str
    html_bytes: int
    findings: tuple[Finding, ...]
    depends: tuple[Path, ...] = ()  # the other files the rendering read (records.files_state)


def build_key(source: Path, settings: Settings, out_dir: Path) -> str | None:
    """The key of everything the issue's four output files are made from (``records.py``), and
    the folder they go to."""
    return records.inputs_key(source, settings, str(out_dir.resolve()))


def recall(
    key: str, source: Path, settings: Settings, out_dir: Path, now: datetime
) -> Remembered | None:
    """The remembered report, when the outputs on disk are still exactly that build's."""
    record = records.read(_record_path(source, settings, out_dir), key)
    if record is None:
        return None
    try:
        for suffix, (size, mtime) in record["outputs"].items():
            stat = (out_dir / f"{issue_name(source)}{suffix}").stat()
            if (stat.st_size, stat.st_mtime_ns) != (size, mtime):
                return None  # changed or replaced by hand: build it again
        if not records.unchanged(record["depends"]):
            return None  # a picture or a linked issue changed
        built_at = datetime.fromisoformat(record["built_at"])
        send_at = datetime.fromisoformat(record["send_at"])
        if any(built_at < moment <= now for moment in (send_at, send_at + RECENT)):
            return None  # a finding about the send time may have changed meanwhile
        findings = tuple(Finding.from_dict(f) for f in record["findings"])
        return Remembered(record["subject"], int(record["html_bytes"]), findings)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember(
    key: str,
    source: Path,
    settings: Settings,
    out_dir: Path,
    report: Remembered,
    send_at: datetime,
    now: datetime,
) -> None:
    """Keep the record of a build; a cache that cannot be written only costs speed."""
    try:
        outputs = {}
        for suffix in SUFFIXES:
            stat = (out_dir / f"{issue_name(source)}{suffix}").stat()
            outputs[suffix] = (stat.st_size, stat.st_mtime_ns)
        record: dict[str, Any] = {
            "key": key,
            "outputs": outputs,
            "built_at": now.isoformat(),
            "send_at": send_at.isoformat(),
            "subject": report.subject,
            "html_bytes": report.html_bytes,
            "findings": [f.as_dict() for f in report.findings],
            "depends": records.files_state(report.depends),
        }
        records.write(_record_path(source, settings, out_dir), settings, record)
    except OSError:
        pass


def _record_path(source: Path, settings: Settings, out_dir: Path) -> Path:
    return records.record_path(settings, "build", f"{out_dir.resolve()}\0{issue_name(source)}")
