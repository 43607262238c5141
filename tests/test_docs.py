"""The README is part of the product: its commands exist and CI runs its test command."""

from __future__ import annotations

import re

from conftest import ROOT
from mailer.cli import cli

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = {path.name: path.read_text(encoding="utf-8") for path in (ROOT / "docs").glob("*.md")}


def test_every_command_is_documented_in_the_readme():
    for name in cli.commands:
        assert f"mailer {name}" in README, f"README does not mention `mailer {name}`"


def test_every_command_has_help_text():
    for name, command in cli.commands.items():
        assert command.help and len(command.help.split()) > 3, name


def test_the_readme_is_a_front_page_and_every_page_it_links_exists():
    assert len(README.splitlines()) <= 300
    for target in re.findall(r"\]\((docs/[\w.-]+\.md)", README):
        assert (ROOT / target).is_file(), target
    for name, text in DOCS.items():  # links between the pages, and back to the README
        prose = re.sub(r"```.*?```|`[^`\n]*`", "", text, flags=re.S)  # not the examples
        for target in re.findall(r"\]\(([\w./-]+\.md)", prose):
            assert (ROOT / "docs" / target).resolve().is_file(), f"{name} → {target}"


def test_every_rule_is_documented():
    from mailer.core.gatepolicy import RULE_IDS

    checking = DOCS["checking.md"]
    for rule in RULE_IDS:
        assert f"`{rule}`" in checking, f"docs/checking.md does not describe {rule}"


def test_quickstart_is_two_commands_and_ci_runs_the_test_one():
    quickstart = README.split("## Quickstart", 1)[1].split("##", 1)[0]
    block = re.search(r"```sh\n(.*?)```", quickstart, re.S)
    assert block
    commands = [line.split("#")[0].strip() for line in block[1].splitlines() if line.strip()]
    assert commands == ["./run start", "./run tests"]
    assert "./run tests" in (ROOT / ".ci" / "run").read_text()


def test_newsletter_toml_reference_matches_the_known_keys():
    from mailer.core.config import _KNOWN

    reference = DOCS["configuration.md"].split("## `newsletter.toml` reference", 1)[1]
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
