"""The build's memory, so that building again what did not change renders and writes nothing.

For each output folder and issue, a small record in ``.mailer/build/`` beside newsletter.toml
(git-ignored, safe to delete; without a newsletter.toml nothing is remembered) holds a key and
what the build reported. The key covers every input of the four output files: the issue file's
bytes and path, the settings, the template overrides' contents, the output folder, and the code
that renders — mailer's own files (their sizes and times, so an edited checkout counts) and the
versions of the libraries it renders with. A record is used only when its key matches, the four
files are still the ones the build wrote (size and modification time), and no time-dependent
finding can have changed since (an issue whose send time passed in between is checked again).
Anything unreadable is a miss.

This is the one seam of the shortcut: ``build.build_one`` asks here first; tests build with and
without the record and compare every byte.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import mailer
from mailer.build.output import SUFFIXES
from mailer.checks.meta import RECENT
from mailer.core.atomic import inside, read_regular, write_record
from mailer.core.config import Settings
from mailer.core.finding import Finding
from mailer.render.fingerprint import settings_part, templates_part

RENDERERS = (
    "babel",
    "css-inline",
    "jinja2",
    "markupsafe",
    "mjml-python",
    "nh3",
    "pyromark",
    "pyyaml",
)
FOLDER = Path(".mailer") / "build"


@dataclass(frozen=True)
class Remembered:
    """What a build of one issue reported, as the record keeps it."""

    subject: str
    html_bytes: int
    findings: tuple[Finding, ...]


RECORD_LIMIT = 1 << 20  # bytes: a record is a few hundred; more is not one of ours


def build_key(source: Path, settings: Settings, out_dir: Path) -> str | None:
    """The digest of everything the issue's four output files are made from; None when the
    source cannot be read (the build then reports why) or there is no newsletter.toml to keep
    the records beside."""
    return inputs_key(source, settings, str(out_dir.resolve()))


def inputs_key(source: Path, settings: Settings, *more: str) -> str | None:
    """The digest of an issue file, the settings, the templates and the code that renders it
    (and `more`, what else the record depends on); None when it cannot be known."""
    if settings.root is None:
        return None
    try:
        text = source.read_bytes()
    except OSError:
        return None
    digest = hashlib.sha256()
    for part in (
        str(source).encode("utf-8"),
        text,
        settings_part(settings).encode("utf-8"),
        json.dumps(dict(settings.extra), sort_keys=True, default=str).encode("utf-8"),
        templates_part(settings.template_dirs).encode("ascii"),
        *(m.encode("utf-8") for m in more),
        code_fingerprint().encode("ascii"),
    ):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def recall(
    key: str, source: Path, settings: Settings, out_dir: Path, now: datetime
) -> Remembered | None:
    """The remembered report, when the outputs on disk are still exactly that build's."""
    try:
        record = json.loads(read_regular(_record_path(source, settings, out_dir), RECORD_LIMIT))
        if record["key"] != key:
            return None
        for suffix, (size, mtime) in record["outputs"].items():
            stat = (out_dir / f"{source.stem}{suffix}").stat()
            if (stat.st_size, stat.st_mtime_ns) != (size, mtime):
                return None  # changed or replaced by hand: build it again
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
            stat = (out_dir / f"{source.stem}{suffix}").stat()
            outputs[suffix] = (stat.st_size, stat.st_mtime_ns)
        record: dict[str, Any] = {
            "key": key,
            "outputs": outputs,
            "built_at": now.isoformat(),
            "send_at": send_at.isoformat(),
            "subject": report.subject,
            "html_bytes": report.html_bytes,
            "findings": [f.as_dict() for f in report.findings],
        }
        path = _record_path(source, settings, out_dir)  # .mailer/ linked elsewhere: not written
        write_record(inside(settings.root or path.parent, path), json.dumps(record).encode())
    except OSError:
        pass


def _record_path(source: Path, settings: Settings, out_dir: Path) -> Path:
    assert settings.root is not None  # build_key gave no key without it
    name = hashlib.sha256(f"{out_dir.resolve()}\0{source.stem}".encode()).hexdigest()[:32]
    return settings.root / FOLDER / f"{name}.json"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """mailer's own files (size and time: a checkout being edited changes it) and the
    versions of the libraries that make the bytes."""
    from importlib import metadata  # 6 ms to import: only a build that keeps records needs it

    digest = hashlib.sha256(mailer.__version__.encode())
    package = Path(mailer.__file__).parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            stat = path.stat()
            digest.update(
                f"{path.relative_to(package)}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode()
            )
    for name in RENDERERS:
        try:
            digest.update(f"{name}=={metadata.version(name)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}==?\0".encode())
    return digest.hexdigest()
