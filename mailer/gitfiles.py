"""Which files Git says changed: for checking only what a pull request touches."""

from __future__ import annotations

import subprocess
from pathlib import Path

from mailer.errors import ConfigError


def changed_files(ref: str, within: list[Path]) -> set[Path]:
    """The issue files under `within` that differ from `ref`: changed in commits since it,
    changed but not committed, or new and not yet added. ConfigError (a usage error) when
    there is no Git or no such ref."""
    from mailer.issue import find_issues

    candidates = {path.resolve(): path for path in find_issues(within, empty_ok=True)}
    if not candidates:
        return set()
    where = next(iter(candidates)).parent
    top = Path(_git(["rev-parse", "--show-toplevel"], where).strip())
    _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], where, f"no commit {ref!r}")
    listed = _git(["diff", "--name-only", "-z", ref, "--"], top)
    listed += _git(["ls-files", "--others", "--exclude-standard", "-z"], top)
    changed = {(top / name).resolve() for name in listed.split("\0") if name}
    return {path for resolved, path in candidates.items() if resolved in changed}


def _git(args: list[str], cwd: Path, failure: str = "") -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
        )
    except FileNotFoundError:
        raise ConfigError("--changed-since needs git on PATH") from None
    if done.returncode != 0:
        said = failure or (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise ConfigError(f"--changed-since: {said}")
    return done.stdout
