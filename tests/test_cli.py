from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SAMPLE
from mailer.cli import cli

GOOD = (
    "---\ntitle: Good\nsubtitle: Fine\ndate: 2024-01-05\n---\nHello [there](https://example.org).\n"
)


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it: a real process, real exit code, real stderr."""
    return subprocess.run(
        [sys.executable, "-m", "mailer", *args], capture_output=True, text=True, cwd=cwd
    )


def test_build_writes_four_files_per_issue(tmp_path, write_issue):
    source = write_issue(GOOD, name="2024-01-05-good.md")
    out = tmp_path / "out"
    result = run("build", str(source), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        f"2024-01-05-good{s}" for s in (".eml", ".html", ".json", ".txt")
    ]
    report = json.loads((out / "2024-01-05-good.json").read_text())
    assert report["subject"] == "Good" and report["send_at_utc"] == "2024-01-05T09:00:00Z"
    assert report["bytes"]["html"] == len((out / "2024-01-05-good.html").read_bytes())
    assert report["findings"] == []
    assert "1 built, 0 failed" in result.stdout


def test_build_defaults_to_issues_folder_and_build_dir(tmp_path):
    (tmp_path / "issues").mkdir()
    (tmp_path / "issues" / "one.md").write_text(GOOD)
    result = run("build", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "build" / "one.html").exists()


def test_sample_issues_build_with_the_repository_settings(tmp_path, sample_copy):
    result = run("build", "-o", str(tmp_path / "out"), cwd=sample_copy)
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "out").glob("*.html"))) == len(
        list((SAMPLE / "issues").glob("*.md"))
    )


BAD_INPUTS = {
    "invalid-yaml": ("---\ntitle: [oops\ndate: 2024-01-01\n---\nBody\n", ":3: front matter"),
    # no title, and a file name that gives none either (a dated name with nothing after)
    "2024-01-01-": ("---\ndate: 2024-01-01\n---\nBody\n", ":1: front matter: 'title' is missing"),
    "number-title": (
        "---\ntitle: 12\ndate: 2024-01-01\n---\nBody\n",
        ':2: front matter: "title" must',
    ),
    "bad-date": (
        "---\ntitle: T\ndate: soon\n---\nBody\n",
        ':3: front matter: "date" is not a date',
    ),
    "no-front-matter": ("Just a body.\n", ":1: no front matter"),
    "empty-body": ("---\ntitle: T\ndate: 2024-01-01\n---\n\n", ":5: the issue has no body"),
    "not-utf8": (b"---\ntitle: T\ndate: 2024-01-01\n---\n\xff\xfe\n", ":5: not UTF-8"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_clear_line_and_no_output(case, tmp_path, write_issue):
    content, expected = BAD_INPUTS[case]
    bad = write_issue(content, name=f"{case}.md")
    good = write_issue(GOOD, name="good.md")
    out = tmp_path / "out"
    result = run("build", str(bad), str(good), "-o", str(out))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"Error: {bad}{expected}" in result.stderr
    # the good issue is still built; nothing at all of the bad one
    assert (out / "good.html").exists()
    assert not list(out.glob(f"{case}*")) and not list(out.glob(".*"))


def test_folder_without_issues(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run("build", str(tmp_path / "empty"), "-o", str(tmp_path / "out"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"Error: {tmp_path / 'empty'}: no issue files here" in result.stderr


def test_unwritable_output_folder(tmp_path, write_issue):
    source = write_issue(GOOD)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run("build", str(source), "-o", str(blocker / "out"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"Error: {blocker / 'out'}: cannot create the output folder" in result.stderr


def test_failed_write_leaves_no_partial_files(tmp_path, write_issue, repo_settings):
    from mailer.build.output import write_outputs
    from mailer.core.errors import OutputError
    from mailer.issue.load import load_issue
    from mailer.render.pipeline import render_issue

    rendered = render_issue(load_issue(write_issue(GOOD), repo_settings), repo_settings)
    out = tmp_path / "out"
    out.mkdir()
    (out / "issue.json").mkdir()  # the third file cannot replace a folder
    with pytest.raises(OutputError):
        write_outputs(rendered, repo_settings, out)
    assert sorted(p.name for p in out.iterdir()) == ["issue.json"]


def test_outputs_already_right_are_left_alone_and_the_rest_replaced(
    tmp_path, write_issue, repo_settings
):
    from mailer.build.output import SUFFIXES, write_outputs
    from mailer.issue.load import load_issue
    from mailer.render.pipeline import render_issue

    rendered = render_issue(load_issue(write_issue(GOOD), repo_settings), repo_settings)
    out = tmp_path / "out"
    first = write_outputs(rendered, repo_settings, out)
    written = {p.name: (p.stat().st_ino, p.read_bytes()) for p in first}
    (out / "issue.txt").write_text("edited by hand\n")
    (out / "issue.json").unlink()
    (out / "issue.eml").unlink()
    os.mkfifo(out / "issue.eml")  # not a file: read, it would hang the build
    again = write_outputs(rendered, repo_settings, out)
    assert again == first == [out / f"issue{suffix}" for suffix in SUFFIXES]
    assert sorted(p.name for p in out.iterdir()) == sorted(written)  # no temporary file left
    now = {p.name: (p.stat().st_ino, p.read_bytes()) for p in again}
    assert {name: data for name, (_, data) in now.items()} == {
        name: data for name, (_, data) in written.items()
    }
    assert now["issue.html"][0] == written["issue.html"][0]  # the same bytes: not rewritten
    assert os.path.isfile(out / "issue.eml")


def test_a_build_writes_the_same_bytes_every_time(tmp_path, write_issue):
    source = write_issue(GOOD, name="2024-01-05-good.md")
    for out in ("one", "two"):
        assert run("build", str(source), "-o", str(tmp_path / out), "--fresh").returncode == 0
    for path in sorted((tmp_path / "one").iterdir()):
        assert path.read_bytes() == (tmp_path / "two" / path.name).read_bytes(), path.name


def test_same_name_twice_is_refused(tmp_path):
    for folder in ("en", "zh"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "same.md").write_text(GOOD)
    result = run("build", str(tmp_path / "en"), str(tmp_path / "zh"), "-o", str(tmp_path / "out"))
    assert result.returncode == 1 and "has the slug 'same', as " in result.stderr  # one slug
    for folder in ("en", "zh"):  # own slugs, one output name
        (tmp_path / folder / "same.md").write_text(
            GOOD.replace("---\n", f"---\nslug: {folder}\n", 1)
        )
    result = run("build", str(tmp_path / "en"), str(tmp_path / "zh"), "-o", str(tmp_path / "out"))
    assert result.returncode == 1 and "has the same name as" in result.stderr


def test_bad_config_is_a_clear_error(tmp_path, write_issue):
    (tmp_path / "newsletter.toml").write_text('[newsletter]\ntimezone = "Mars/Olympus"\n')
    result = run("build", str(write_issue(GOOD)), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr  # a setting, not a finding
    assert "newsletter.toml: unknown timezone 'Mars/Olympus'" in result.stderr


def test_debug_shows_the_traceback(tmp_path):
    for args in (["--debug", "build"], ["build", "--debug"]):
        result = run(*args, str(tmp_path / "missing.md"))
        assert result.returncode == 1 and "Traceback" in result.stderr, args


def test_config_goes_before_or_after_the_command(tmp_path, write_issue):
    (tmp_path / "other.toml").write_text('[newsletter]\nname = "Elsewhere"\n')
    source = write_issue(GOOD)
    for args in (["--config", "other.toml", "build"], ["build", "--config", "other.toml"]):
        result = run(*args, str(source), "-o", "out", cwd=tmp_path)
        assert result.returncode == 0, (args, result.stderr)
        assert (tmp_path / "out" / f"{source.stem}.txt").read_text().startswith("Elsewhere")
        (tmp_path / "out" / f"{source.stem}.txt").unlink()
    result = run("check", "--config", "missing.toml", str(source), cwd=tmp_path)
    assert result.returncode == 2 and "missing.toml: config file not found" in result.stderr


def test_help_and_short_help():
    runner = CliRunner()
    for args in (["--help"], ["-h"], ["build", "-h"], ["new", "--help"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0 and "Usage:" in result.output


def test_new_scaffolds_the_next_dated_issue(tmp_path):
    issues = tmp_path / "issues"
    issues.mkdir()
    (issues / "2026-11-06-first.md").write_text(GOOD.replace("2024-01-05", "2026-11-06"))
    result = run("new", "Spring cleaning", "--date", "2030-03-01", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    created = tmp_path / result.stdout.strip()
    assert created.name == "2030-03-01-spring-cleaning.md"
    assert 'title: "Spring cleaning"' in created.read_text()
    assert run("build", str(created), "-o", str(tmp_path / "o")).returncode == 0
    again = run("new", "Spring cleaning", "--date", "2030-03-01", cwd=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_new_follows_numbered_files(tmp_path, make_settings):
    from datetime import date

    from mailer.init.new_issue import new_issue

    for n in (1, 2):
        (tmp_path / f"{n:04d}.md").write_text(GOOD)
    path = new_issue(tmp_path, make_settings(), today=date(2024, 1, 1))
    assert path.name == "0003.md"
    assert "date: 2024-01-12" in path.read_text()  # a week after the latest issue


def test_long_commands_count_up_on_a_terminal_and_stay_quiet_when_piped(sample_copy):
    import pty

    def stderr_of(args: list[str], terminal: bool) -> str:
        if not terminal:
            return run(*args, cwd=sample_copy).stderr
        leader, follower = pty.openpty()
        try:
            done = subprocess.run(
                [sys.executable, "-m", "mailer", *args],
                cwd=sample_copy,
                stdout=subprocess.DEVNULL,
                stderr=follower,
                timeout=60,
            )
            os.close(follower)
            follower = -1
            chunks = []
            while True:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            assert done.returncode == 0
            return b"".join(chunks).decode()
        finally:
            os.close(leader)
            if follower != -1:
                os.close(follower)

    issues = len(list((sample_copy / "issues").glob("*.md")))
    assert f"checked {issues}/{issues}," in stderr_of(["check"], terminal=True)
    assert "pages " in stderr_of(["archive", "-o", "site"], terminal=True)
    assert "checked" not in stderr_of(["check"], terminal=False)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_completion_scripts_and_answers(shell):
    """click writes completion as bytes: the secret-masking output stream takes them too."""
    env = {**os.environ, "_MAILER_COMPLETE": f"{shell}_source"}
    script = subprocess.run(
        [sys.executable, "-m", "mailer"], capture_output=True, text=True, env=env
    )
    assert script.returncode == 0 and "_MAILER_COMPLETE" in script.stdout, script.stderr
    if shell == "bash":
        env = {**os.environ, "_MAILER_COMPLETE": "bash_complete", "COMP_WORDS": "mailer bu"}
        answer = subprocess.run(
            [sys.executable, "-m", "mailer"],
            capture_output=True,
            text=True,
            env={**env, "COMP_CWORD": "1"},
        )
        assert answer.stdout.strip() == "plain,build", answer.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--links", "--max-age", "inf"],
        ["check", "--links", "--max-age", "nan"],
        ["check", "--links", "--max-age", "1e12"],
        ["check", "--links", "--max-age", "-1"],
        ["check", "--links", "--since", "soon"],
        ["preview", "--port", "99999"],
        ["preview", "--port", "-1"],
    ],
)
def test_odd_command_line_values_are_usage_errors_not_tracebacks(tmp_path, write_issue, args):
    result = run(*args, str(write_issue(GOOD)), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "Invalid value" in result.stderr


def test_an_age_older_than_the_calendar_means_every_issue(tmp_path):
    (tmp_path / "issues").mkdir()
    (tmp_path / "issues" / "a.md").write_text(
        GOOD.replace("Hello [there](https://example.org).", "No links.")
    )
    result = run("check", "--links", "--since", "3000y", "issues", cwd=tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "0 addresses" in result.stdout + result.stderr


def test_an_empty_folder_says_what_to_run(tmp_path):
    result = run("build", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "issues: no such folder: start a newsletter here with `mailer init .`" in result.stderr
