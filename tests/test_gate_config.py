"""mailer check configured like a linter: [check] select/ignore/severity, --select/--ignore,
inline ignore comments, --statistics, --changed-since in a real Git repository, annotations
that fit GitHub, and the exit codes 0/1/2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import git
from mailer.core.finding import Finding
from mailer.core.github import annotations_that_fit

ISSUE = """---
title: A
date: 2027-01-01
---
See [here](https://example.org/a) and [here](https://example.org/b).

And [click here](http://example.org/c).
"""


def mailer(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailer", *args], cwd=cwd, capture_output=True, text=True
    )


def newsletter(tmp_path: Path, check: str = "", issue: str = ISSUE) -> Path:
    (tmp_path / "issues").mkdir(exist_ok=True)
    (tmp_path / "newsletter.toml").write_text(f'[newsletter]\nname = "Gate"\n{check}')
    (tmp_path / "issues" / "a.md").write_text(issue)
    return tmp_path


def rules(result: subprocess.CompletedProcess[str]) -> list[tuple[str, str]]:
    return sorted((f["rule"], f["severity"]) for f in json.loads(result.stdout))


def test_by_default_every_rule_reports(tmp_path):
    found = rules(mailer("check", "issues", "--format", "json", cwd=newsletter(tmp_path)))
    assert found == [
        ("link-insecure", "warning"),
        ("link-text", "warning"),
        ("link-text", "warning"),
        ("link-text", "warning"),
        ("preheader", "warning"),
    ]


def test_the_check_table_selects_ignores_and_sets_severity(tmp_path):
    check = '[check]\nignore = ["preheader"]\nseverity = { link-text = "error", link-insecure = "off" }\n'  # noqa: E501
    result = mailer("check", "issues", "--format", "json", cwd=newsletter(tmp_path, check))
    assert result.returncode == 1  # link-text is an error now
    assert rules(result) == [("link-text", "error")] * 3
    select = '[check]\nselect = ["link"]\n'  # a prefix: every link-… rule
    found = rules(mailer("check", "issues", "--format", "json", cwd=newsletter(tmp_path, select)))
    assert {rule for rule, _ in found} == {"link-insecure", "link-text"}


def test_select_and_ignore_on_the_command_line(tmp_path):
    root = newsletter(tmp_path, '[check]\nignore = ["preheader"]\n')
    found = rules(mailer("check", "issues", "--format", "json", "--ignore", "link-text", cwd=root))
    assert found == [("link-insecure", "warning")]  # the file's ignore still holds
    found = rules(mailer("check", "issues", "--format", "json", "--select", "preheader", cwd=root))
    assert found == []  # selected, and ignored by the file


def test_an_inline_comment_silences_one_finding_on_its_line_or_the_next(tmp_path):
    issue = ISSUE.replace("See [here]", "<!-- mailer: ignore link-text -->\nSee [here]").replace(
        "(http://example.org/c).", "(http://example.org/c). <!-- mailer: ignore link-insecure -->"
    )
    found = rules(
        mailer("check", "issues", "--format", "json", cwd=newsletter(tmp_path, issue=issue))
    )
    assert found == [("link-text", "warning"), ("preheader", "warning")]  # "click here" stays


def test_statistics_count_per_rule(tmp_path):
    result = mailer("check", "issues", "--statistics", cwd=newsletter(tmp_path))
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["3", "link-text", "warning"]
    assert lines[-1] == "1 issue checked: 0 errors, 5 warnings"


def test_changed_since_checks_only_what_changed(tmp_path):
    root = newsletter(tmp_path)
    (root / "issues" / "b.md").write_text(ISSUE.replace("title: A", "title: B"))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "two issues")
    quiet = mailer("check", "issues", "--changed-since", "HEAD", cwd=root)
    assert quiet.returncode == 0 and "no issue changed since HEAD" in quiet.stdout
    (root / "issues" / "b.md").write_text(ISSUE.replace("title: A", "title: B, edited"))
    (root / "issues" / "c.md").write_text(ISSUE.replace("title: A", "title: C"))  # not added yet
    result = mailer("check", "issues", "--format", "json", "--changed-since", "HEAD", cwd=root)
    assert {Path(f["path"]).name for f in json.loads(result.stdout)} == {"b.md", "c.md"}
    bad = mailer("check", "issues", "--changed-since", "no-such-ref", cwd=root)
    assert bad.returncode == 2 and "--changed-since: no commit 'no-such-ref'" in bad.stderr


def test_annotations_fit_github_errors_and_the_pull_requests_issues_first():
    mine, other = Path("issues/mine.md"), Path("issues/other.md")
    findings = [Finding(other, n, "link-text", "warning", "w") for n in range(1, 16)]
    findings += [Finding(other, n, "link-broken", "error", "e") for n in range(1, 13)]
    findings += [
        Finding(mine, 1, "link-text", "warning", "mine"),
        Finding(mine, 2, "link-broken", "error", "mine"),
    ]
    lines = annotations_that_fit(findings, {mine}).splitlines()
    assert len(lines) == 21 and lines[-1].startswith("::notice::9 more findings")
    assert lines[0].startswith("::error file=issues/mine.md")
    assert sum(line.startswith("::error") for line in lines) == 10
    assert lines[10].startswith("::warning file=issues/mine.md")


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("clean", 0),  # nothing at gate level (warnings only, no --strict)
        ("strict", 1),  # warnings fail with --strict
        ("error", 1),  # an error finding fails the gate
        ("bad-config", 2),  # newsletter.toml that is not valid
        ("missing-config", 2),  # --config naming a file that is not there
        ("bad-rule", 2),  # --select naming no rule
        ("bad-option", 2),  # an option that does not exist
    ],
)
def test_exit_codes(tmp_path, case, code):
    root = newsletter(tmp_path)
    args = ["check", "issues"]
    if case == "strict":
        args.append("--strict")
    elif case == "error":
        (root / "issues" / "a.md").write_text(ISSUE + "\n[broken]()\n")
    elif case == "bad-config":
        (root / "newsletter.toml").write_text("[check]\nignore = 3\n")
    elif case == "missing-config":
        args += ["--config", "nope.toml"]
    elif case == "bad-rule":
        args += ["--select", "no-such-rule"]
    elif case == "bad-option":
        args.append("--frobnicate")
    result = mailer(*args, cwd=root)
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
