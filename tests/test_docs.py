"""The README is part of the product: its commands exist and CI runs its test command."""

from __future__ import annotations

import re

from conftest import ROOT
from mailer.cli import cli

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_is_documented_in_the_readme():
    for name in cli.commands:
        assert f"mailer {name}" in README, f"README does not mention `mailer {name}`"


def test_every_command_has_help_text():
    for name, command in cli.commands.items():
        assert command.help and len(command.help.split()) > 3, name


def test_quickstart_is_two_commands_and_ci_runs_the_test_one():
    quickstart = README.split("## Quickstart", 1)[1].split("##", 1)[0]
    block = re.search(r"```sh\n(.*?)```", quickstart, re.S)
    assert block
    commands = [line.split("#")[0].strip() for line in block[1].splitlines() if line.strip()]
    assert commands == ["./run start", "./run tests"]
    assert "./run tests" in (ROOT / ".ci" / "run").read_text()


def test_newsletter_toml_reference_matches_the_known_keys():
    from mailer.core.config import _KNOWN

    reference = README.split("## `newsletter.toml` reference", 1)[1].split("\n## ", 1)[0]
    for section, keys in _KNOWN.items():
        assert f"[{section}]" in reference
        for key in keys:
            assert re.search(rf"^{key} = ", reference, re.M), f"{section}.{key} undocumented"


def test_run_names_an_unknown_task_and_lists_the_tasks():
    import subprocess

    result = subprocess.run(
        ["bash", str(ROOT / "run"), "frob"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2 and result.stdout == ""
    assert "unknown task: frob" in result.stderr and "tests" in result.stderr
    helped = subprocess.run(["bash", str(ROOT / "run")], capture_output=True, text=True)
    assert helped.returncode == 0 and "./run tests" in helped.stdout
    assert "set -euo" not in helped.stdout and "caller=" not in helped.stdout


def test_the_provider_table_is_the_registry():
    """docs/providers.md's table is written from the providers' declarations
    (tools/provider_table.py): a provider added or changed shows there, or this fails."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "provider_table", ROOT / "tools" / "provider_table.py"
    )
    assert spec and spec.loader
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    page = tool.PAGE.read_text(encoding="utf-8")
    assert tool.BEGIN in page and tool.rewritten(page) == page
