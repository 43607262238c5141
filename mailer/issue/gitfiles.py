"""Git, asked from the commands that look at history: which issue files changed since a ref
(``check --changed-since``), and the one way to run git (``shots --compare`` too)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from mailer.core.errors import ConfigError


def changed_files(ref: str, within: list[Path]) -> set[Path]:
    """The issue files under `within` that differ from `ref`: changed in commits since it,
    changed but not committed, or new and not yet added. ConfigError (a usage error) when
    there is no Git or no such ref."""
    from mailer.issue.load import find_issues

    candidates = {path.resolve(): path for path in find_issues(within, empty_ok=True)}
    if not candidates:
        return set()
    where = next(iter(candidates)).parent
    top = Path(git(["rev-parse", "--show-toplevel"], where, "--changed-since").strip())
    commit(ref, where, "--changed-since")
    listed = git(["diff", "--name-only", "-z", ref, "--"], top, "--changed-since")
    listed += git(["ls-files", "--others", "--exclude-standard", "-z"], top, "--changed-since")
    changed = {(top / name).resolve() for name in listed.split("\0") if name}
    return {path for resolved, path in candidates.items() if resolved in changed}


def commit(ref: str, cwd: Path, option: str) -> str:
    """The full commit `ref` names; ConfigError when it names none."""
    return git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd, option, ref).strip()


def git(args: list[str], cwd: Path, option: str, ref: str = "") -> str:
    """What `git ARGS` prints in `cwd`; ConfigError, a usage error of `option`, when there is
    no git, no repository, or (`ref` given) no such commit."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
        )
    except FileNotFoundError:
        raise ConfigError(f"{option} needs git on PATH") from None
    if done.returncode != 0:
        said = f"no commit {ref!r}" if ref else (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise ConfigError(f"{option}: {said}")
    return done.stdout
