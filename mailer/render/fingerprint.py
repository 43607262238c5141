"""What an issue's email is made from, as one hash: what sync stores at the provider to tell
whether an email is up to date.

It covers what the editor controls — the issue (header and body), the newsletter's settings,
the template overrides beside newsletter.toml — and not the bytes mailer's libraries make of
them: upgrading a library never makes sync re-upload every scheduled email, nor flag every sent
one as changed. A change in rendered bytes shows in the golden tests instead.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

from mailer.core.config import Settings
from mailer.issue.load import Issue

# what does not shape the email (the gate's policy shapes only its findings)
_SETTINGS_LEFT_OUT = (
    "root",
    "config_path",
    "smtp",
    "extra",
    "timeout",
    "grace_minutes",
    "policy",
)


def inputs_hash(issue: Issue, settings: Settings, local: str = "") -> str:
    """A stable digest of the issue, the settings and the templates that make its email, and
    `local`, what it takes from other files (``pipeline._local_part``)."""
    digest = hashlib.sha256()
    issue_part = {
        "body": issue.body,
        "meta": dict(issue.meta),
        "slug": issue.slug,
        "send_at": issue.send_at.isoformat(),
        "title": issue.title,
    }
    digest.update(json.dumps(issue_part, sort_keys=True, default=str).encode("utf-8"))
    digest.update(b"\0" + settings_part(settings).encode("utf-8"))
    digest.update(b"\0" + templates_part(settings.template_dirs).encode("ascii"))
    if local:  # only then: the hashes of issues without local files stay what they were
        digest.update(b"\0" + local.encode("utf-8"))
    return digest.hexdigest()


def settings_part(settings: Settings) -> str:
    """The settings that shape an email, as stable JSON."""
    values = {k: v for k, v in asdict(settings).items() if k not in _SETTINGS_LEFT_OUT}
    return json.dumps(values, sort_keys=True, default=str)


def templates_part(folders: tuple[Path, ...]) -> str:
    """A digest of the template overrides' names and contents."""
    files = sorted(
        (str(p.relative_to(folder)), p.stat().st_mtime_ns, p.stat().st_size, str(p))
        for folder in folders
        for p in folder.rglob("*")
        if p.is_file()
    )
    return _templates_digest(tuple(files))


@lru_cache(maxsize=8)
def _templates_digest(files: tuple[tuple[str, int, int, str], ...]) -> str:
    """The overrides' contents, read once per change (keyed by their times and sizes)."""
    digest = hashlib.sha256()
    for name, _, _, path in files:
        digest.update(name.encode("utf-8") + b"\0" + Path(path).read_bytes() + b"\0")
    return digest.hexdigest()
