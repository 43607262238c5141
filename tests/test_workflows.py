"""The GitHub workflows: valid, their shell clean, and publish.yml run as the Action would."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from fakes.buttondown import API_KEY

from conftest import ROOT, SAMPLE

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def run_steps(workflow: Path) -> list[tuple[str, dict[str, dict]]]:
    data = yaml.safe_load(workflow.read_text())
    return [
        (job, step) for job, spec in data["jobs"].items() for step in spec["steps"] if "run" in step
    ]


def assert_schema_valid(schema: str, files: list[Path]) -> None:
    """`files` pass one of check-jsonschema's built-in schemas (GitHub's, vendored)."""
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def assert_shell_clean(workflow: Path, scratch: Path) -> None:
    """Every run step passes shellcheck and takes its inputs from env, not from ${{ }}."""
    for n, (_, step) in enumerate(run_steps(workflow)):
        # ${{ }} inside a script is a script-injection risk: inputs arrive through env
        assert "${{" not in step["run"], f"{workflow.name}: {step.get('name')}"
        script = scratch / f"{workflow.stem}-{n}.sh"
        script.write_text("#!/usr/bin/env bash\nset -eo pipefail\n" + step["run"])
        result = subprocess.run(
            [str(BIN / "shellcheck"), "--severity=style", str(script)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, f"{workflow.name} {step.get('name')}:\n{result.stdout}"


def test_workflows_validate_against_the_github_schema():
    assert_schema_valid("vendor.github-workflows", WORKFLOWS)
    assert {w.name for w in WORKFLOWS} >= {"ci.yml", "publish.yml", "test-send.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_run_steps_pass_shellcheck_and_take_inputs_from_env(workflow, tmp_path):
    assert_shell_clean(workflow, tmp_path)


def test_workflows_are_least_privileged():
    for workflow in WORKFLOWS:
        data = yaml.safe_load(workflow.read_text())
        assert data["permissions"] == {"contents": "read"}, workflow.name
        for spec in data["jobs"].values():
            checkout = [
                s for s in spec["steps"] if s.get("uses", "").startswith("actions/checkout")
            ]
            if checkout:  # a job that checks out keeps no credentials
                assert checkout[0]["with"]["persist-credentials"] is False
            elif workflow.name == "release.yml":  # PyPI's trusted publishing, behind approval
                assert spec["permissions"] == {"id-token": "write"}
                assert spec["environment"]["name"] == "pypi"
            else:  # only the Pages deployment may write, and it reads no code
                assert spec["permissions"] == {"pages": "write", "id-token": "write"}
    publish = yaml.safe_load((ROOT / ".github/workflows/publish.yml").read_text())
    assert publish["concurrency"] == {"group": "publish", "cancel-in-progress": False}
    triggers = publish[True]  # YAML reads the key `on` as true
    assert {"schedule", "workflow_dispatch", "push"} <= set(triggers)
    assert triggers["workflow_dispatch"]["inputs"]["dry_run"]["type"] == "boolean"


def action_env(step: dict, values: dict[str, str]) -> dict[str, str]:
    """A step's env as the runner resolves it: ${{ x.y }} replaced from `values`."""
    resolved = {}
    for name, value in (step.get("env") or {}).items():
        resolved[name] = re.sub(
            r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: values.get(m[1], ""), str(value)
        )
    return resolved


def test_publish_runs_as_the_action_would_twice(tmp_path, buttondown):
    checkout = tmp_path / "checkout"
    shutil.copytree(SAMPLE / "issues", checkout / "issues")
    shutil.copy(SAMPLE / "newsletter.toml", checkout)
    soon = (datetime.now(UTC) + timedelta(days=4)).date()
    (checkout / "issues" / f"{soon}-next.md").write_text(
        f"---\ntitle: Next week\nsubtitle: Soon\ndate: {soon}\n---\nComing up.\n"
    )
    steps = [
        (job, step)
        for job, step in run_steps(ROOT / ".github/workflows/publish.yml")
        if step.get("name") != "Install"
    ]  # the package is installed here already
    assert [step["name"] for _, step in steps] == ["Sync with the provider"]

    def run_action(summary: Path, dry_run: str = "") -> list[subprocess.CompletedProcess[str]]:
        results = []
        for _, step in steps:
            env = {
                "PATH": f"{BIN}:/usr/bin:/bin",
                "HOME": str(tmp_path),
                "CI": "true",
                "GITHUB_ACTIONS": "true",
                "GITHUB_STEP_SUMMARY": str(summary),
                "GITHUB_WORKSPACE": str(checkout),
                # where the test's fake Buttondown listens, instead of api.buttondown.com
                "MAILER_BUTTONDOWN_BASE_URL": buttondown.url,
                **action_env(
                    step, {"secrets.BUTTONDOWN_API_KEY": API_KEY, "inputs.dry_run": dry_run}
                ),
            }
            results.append(
                subprocess.run(
                    ["bash", "-e", "-c", step["run"]],
                    cwd=checkout,
                    env=env,
                    capture_output=True,
                    text=True,
                )
            )
        return results

    first_summary = tmp_path / "summary-1.md"
    first = run_action(first_summary)
    assert all(r.returncode == 0 for r in first), first[0].stderr
    summary = first_summary.read_text()
    assert "### mailer sync" in summary and f"{soon}-next" in summary
    assert "create → scheduled" in summary and "Result:" in summary
    assert "::warning file=issues/2026-11-06-first-issue.md" in first[0].stdout  # past: not sent
    assert API_KEY not in summary + first[0].stdout + first[0].stderr
    created = len(buttondown.server.writes())
    assert created >= 1 and buttondown.sent_to_list == []

    second_summary = tmp_path / "summary-2.md"
    second = run_action(second_summary)
    assert all(r.returncode == 0 for r in second)
    assert len(buttondown.server.writes()) == created  # the second run changed nothing
    assert "nothing to change" in second_summary.read_text()

    dry = run_action(tmp_path / "summary-3.md", dry_run="true")
    assert "dry run" in dry[0].stdout and len(buttondown.server.writes()) == created


def test_build_summarizes_and_check_annotates_each_finding_once_in_actions(tmp_path):
    (tmp_path / "issues").mkdir()
    (tmp_path / "issues" / "a.md").write_text(
        "---\ntitle: A | B\ndate: 2024-01-01\n---\nSee [click here](https://x.example).\n"
    )
    summary = tmp_path / "summary.md"
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    build = subprocess.run(
        [str(BIN / "mailer"), "build", "issues", "-o", "out"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0
    assert "::warning" not in build.stdout  # the check step annotates; once is enough
    text = summary.read_text()
    assert "| `issues/a.md` | A \\| B |" in text and "(under 102 KB)" in text
    check = subprocess.run(
        [str(BIN / "mailer"), "check", "issues"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0 and "::warning file=issues/a.md,line=5" in check.stdout
    assert "### mailer check: 1 issue" in summary.read_text()
    plain = subprocess.run(
        [str(BIN / "mailer"), "check", "issues"],
        cwd=tmp_path,
        env={"PATH": env["PATH"]},
        capture_output=True,
        text=True,
    )
    assert "::warning" not in plain.stdout  # outside Actions: no workflow commands


def test_every_action_is_pinned_to_a_full_commit():
    for workflow in WORKFLOWS:
        for spec in yaml.safe_load(workflow.read_text())["jobs"].values():
            for step in spec["steps"]:
                if "uses" in step:  # a tag can be moved to other code; a commit cannot
                    assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
        text = workflow.read_text()
        assert all(re.search(r"@[0-9a-f]{40} # v\d", line) for line in text.splitlines()
                   if "uses:" in line), f"{workflow.name}: name each pinned version"  # fmt: skip


@pytest.mark.parametrize("to", ["a@x.org,,b@y.org", " a@x.org , b@y.org,", ""])
def test_test_send_passes_each_recipient_once_and_never_an_empty_one(tmp_path, to):
    from mailer.init.repository import start_newsletter

    start_newsletter(tmp_path / "new", name="N", provider="kit", today=datetime(2026, 1, 1).date())
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stand_in = bin_dir / "mailer"  # records the arguments the step gives mailer
    stand_in.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n')
    stand_in.chmod(0o755)
    for workflow in (
        ROOT / ".github/workflows/test-send.yml",
        tmp_path / "new/.github/workflows/test-send.yml",
    ):
        [(_, step)] = run_steps(workflow)[-1:]
        result = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            env={"PATH": f"{bin_dir}:/usr/bin:/bin", "ISSUE": "issues/a.md", "TO": to,
                 "VIA": "smtp"},
            capture_output=True,
            text=True,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        args = result.stdout.splitlines()
        expected = [f"--to\n{a}" for a in ("a@x.org", "b@y.org")] if to else []
        assert "\n".join(args) == "\n".join(
            ["test-send", "issues/a.md", "--via", "smtp", *expected]
        )
