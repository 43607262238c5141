"""The one store behind the build's and the gate's memories: what an issue's outputs are made
from, as one key, and a small JSON record per issue in ``.mailer/<kind>/`` beside
newsletter.toml (git-ignored, safe to delete; without a newsletter.toml nothing is kept).

The key covers every input of a rendering: the issue file's bytes and path, the settings, the
template overrides' contents, and the code that renders — mailer's own files (their sizes and
times, so an edited checkout counts) and the versions of the libraries it renders with — plus
what else a kind of record depends on (the build's output folder); and, checked when it is read,
the other files the rendering read (``files_state``: local pictures, linked issues). A record is
used only when its key matches; anything unreadable is a miss, and a record that cannot be
written costs only speed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import mailer
from mailer.core.atomic import inside, read_regular, write_record
from mailer.core.config import Settings
from mailer.render.fingerprint import settings_part, templates_part

RENDERERS = (
    "babel",
    "css-inline",
    "jinja2",
    "markupsafe",
    "mjml-python",
    "nh3",
    "pygments",
    "pyromark",
    "pyyaml",
)
RECORD_LIMIT = 1 << 20  # bytes: a record is a few hundred; more is not one of ours


def inputs_key(source: Path, settings: Settings, *more: str) -> str | None:
    """The digest of an issue file, the settings, the templates and the code that renders it
    (and `more`, what else the record depends on); None when it cannot be known or kept: the
    source is unreadable (its command reports why) or there is no newsletter.toml."""
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


def record_path(settings: Settings, kind: str, name: str) -> Path:
    """Where the record of `kind` ("build", "gate") named by `name` lives."""
    assert settings.root is not None  # inputs_key gave no key without it
    digest = hashlib.sha256(name.encode()).hexdigest()[:32]
    return settings.root / ".mailer" / kind / f"{digest}.json"


def read(path: Path, key: str) -> dict[str, Any] | None:
    """The record at `path` if it was written under `key`; None for anything else."""
    try:
        record = json.loads(read_regular(path, RECORD_LIMIT))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("key") == key else None


def write(path: Path, settings: Settings, record: dict[str, Any]) -> None:
    """Keep a record (with its "key"); one that cannot be written costs only speed."""
    with contextlib.suppress(OSError):  # .mailer/ linked elsewhere: not written
        write_record(inside(settings.root or path.parent, path), json.dumps(record).encode())


def files_state(paths: tuple[Path, ...]) -> dict[str, list[int] | None]:
    """What a rendering read besides the issue file (its pictures, the issues it links to, and
    the files it looked for and did not find), as each one's size and time, or None when absent:
    a record is used only while every one of them is as it was (`unchanged`)."""
    return {str(path): _stat(path) for path in paths}


def unchanged(state: object) -> bool:
    """Whether the files a record depends on are as they were when it was written."""
    if not isinstance(state, dict):
        return False
    return all(_stat(Path(path)) == (list(was) if was else None) for path, was in state.items())


def _stat(path: Path) -> list[int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


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
