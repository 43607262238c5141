"""Build outputs on disk: <name>.html, .txt, .json (the report) and .eml, written atomically.

Every file of an issue is written to a temporary name first and renamed into place only when
all of them were written; if a rename still fails, the files already moved are removed again.
A failed build never leaves a half-written file, nor a set of files that disagree.

A crash (``kill -9``) between two renames cannot be undone by the build itself, so the set
says whether it is whole: the ``.json`` report, renamed last, holds the SHA-256 of the other
three. ``consistent`` checks a set against it: all old or all new, else torn — and the next
build writes it whole again. Temporary files a killed build left are removed by the next one.

A file that already holds exactly the bytes it would get is left alone (``atomic.holds``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any

from mailer.build.message import build_message
from mailer.core.atomic import holds, make_temp
from mailer.core.config import Settings
from mailer.core.errors import OutputError
from mailer.core.limits import GMAIL_CLIP_BYTES
from mailer.render.pipeline import Rendered

# Each output file of an issue, by suffix, and how its bytes are made from the rendering: a new
# format is one line here (build's records and `consistent` follow). They are renamed into place
# first; the .json report, which lists their hashes, last.
OUTPUTS: dict[str, Callable[[Rendered, Settings], bytes]] = {
    ".html": lambda rendered, _: rendered.html.encode("utf-8"),
    ".txt": lambda rendered, _: rendered.text.encode("utf-8"),
    ".eml": build_message,
}
HASHED = tuple(OUTPUTS)
SUFFIXES = (*HASHED, ".json")


def _file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _file_mode()


def report(rendered: Rendered) -> dict[str, Any]:
    """The machine-readable summary of one rendered issue (the .json file)."""
    issue = rendered.issue
    html_bytes = len(rendered.html.encode("utf-8"))
    return {
        "source": str(issue.path),
        "slug": issue.slug,
        "subject": rendered.subject,
        "preheader": rendered.preheader,
        "date": issue.date.isoformat(),
        "send_at": issue.send_at.isoformat(),
        "send_at_utc": issue.send_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "draft": issue.draft,
        "content_hash": rendered.content_hash,
        "bytes": {"html": html_bytes, "text": len(rendered.text.encode("utf-8"))},
        "gmail_clip": {"limit_bytes": GMAIL_CLIP_BYTES, "clipped": html_bytes > GMAIL_CLIP_BYTES},
        "findings": [f.as_dict() for f in rendered.findings],
    }


def write_outputs(rendered: Rendered, settings: Settings, out_dir: Path) -> list[Path]:
    """Write all of one issue's files, or none of them."""
    name = rendered.issue.name
    contents = {suffix: make(rendered, settings) for suffix, make in OUTPUTS.items()}
    summary = report(rendered)
    summary["sha256"] = {suffix: hashlib.sha256(contents[suffix]).hexdigest() for suffix in HASHED}
    contents[".json"] = (json.dumps(summary, indent=2, ensure_ascii=False) + "\n").encode()
    make_dir(out_dir)
    staged: list[tuple[str, Path]] = []
    try:
        for suffix, data in contents.items():  # in HASHED order, the .json last
            if holds(out_dir / f"{name}{suffix}", data):
                continue
            fd, tmp = make_temp(out_dir / f"{name}{suffix}")
            # listed before writing: a write that fails (a full disk) must not leave it behind
            staged.append((tmp, out_dir / f"{name}{suffix}"))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, _FILE_MODE)  # mkstemp makes 0600; outputs are ordinary files
        moved: list[Path] = []
        try:
            for tmp, final in staged:
                os.replace(tmp, final)
                moved.append(final)
        except OSError:
            # a set half from this build and half from the last would disagree: drop ours
            for final in moved:
                final.unlink(missing_ok=True)
            raise
    except OSError as exc:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        where = exc.filename or out_dir
        raise OutputError(where, f"cannot write ({exc.strerror or exc})") from None
    return [out_dir / f"{name}{suffix}" for suffix in SUFFIXES]


def consistent(out_dir: Path, name: str) -> bool:
    """Whether the files of `name` in `out_dir` are one build's: the .json's hashes are those of
    the others (a crash between renames leaves them disagreeing)."""
    try:
        hashes = json.loads((out_dir / f"{name}.json").read_bytes())["sha256"]
        return all(
            hashlib.sha256((out_dir / f"{name}{suffix}").read_bytes()).hexdigest() == hashes[suffix]
            for suffix in HASHED
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


def make_dir(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            out_dir, f"cannot create the output folder ({exc.strerror or exc})"
        ) from None
    if not os.access(out_dir, os.W_OK):
        raise OutputError(out_dir, "the output folder is not writable")
