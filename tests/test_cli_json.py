"""`--format json` on every command a script reads: stdout is one JSON document, also inside
GitHub Actions, where annotations go to stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ISSUE = "---\ntitle: Notes\npreheader: A short week of good reading.\n---\n[here](#nowhere)\n"


def run(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mailer", *args],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "GITHUB_ACTIONS": "true", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "newsletter.toml").write_text(
        '[newsletter]\nname = "N"\nurl = "https://n.example.org"\n\n'
        '[provider]\nname = "buttondown"\n'
    )
    (tmp_path / "issues").mkdir()
    (tmp_path / "issues" / "2026-11-02-notes.md").write_text(ISSUE)
    return tmp_path


@pytest.mark.parametrize("command", ["build", "archive", "check"])
def test_writing_commands_print_one_document(root, command):
    result = run(root, command, "--format", "json")
    document = json.loads(result.stdout)  # the whole of stdout, nothing around it
    if command == "build":
        (built,) = document["built"]
        assert built["source"].endswith("2026-11-02-notes.md") and built["html_bytes"] > 1000
        assert {f["rule"] for f in built["findings"]} >= {"anchor-missing"}
    elif command == "archive":
        assert [page["path"] for page in document["pages"]] == ["issues/2026-11-02-notes/"]
    else:
        assert "::error" in result.stderr  # the annotations, kept off stdout


def test_provider_commands_print_one_document_in_actions(root, buttondown, buttondown_env):
    synced = run(root, "sync", "--format", "json", env=buttondown_env)
    steps = json.loads(synced.stdout)
    assert [step["key"] for step in steps] == ["2026-11-02-notes"]
    assert steps[0]["action"] == "past"  # dated in the past: reported, never sent
    assert "::warning" in synced.stderr and "::" not in synced.stdout  # said on stderr
    status = run(root, "status", "--format", "json", env=buttondown_env)
    (row,) = json.loads(status.stdout)
    assert row["key"] == "2026-11-02-notes" and row["remote_id"] is None
