"""`mailer init`: a new newsletter that builds, checks and publishes from the first minute.

Each scaffolded repository is checked the way its owner will meet it: its workflows against
GitHub's schema and shellcheck, its first issue through `mailer build` and `check --strict`
run from inside the folder, and its publish workflow run twice against the fake Buttondown.
The last test installs the built wheel in a fresh virtualenv outside this checkout, which is
how a missing package file was once hidden by the editable install.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
import tomllib
import venv
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from fakes.buttondown import API_KEY
from test_workflows import action_env, assert_schema_valid, assert_shell_clean, run_steps

from conftest import ROOT
from mailer.core.errors import ConfigError, OutputError
from mailer.init.repository import ACTIONS, requirements, start_newsletter
from mailer.providers import PROVIDERS

BIN = Path(sys.executable).parent
TODAY = date(2026, 12, 1)


def mailer(*args: str, cwd: Path, env: dict[str, str] | None = None, exe: Path = BIN):
    return subprocess.run(
        [str(exe / "mailer"), *args],
        cwd=cwd,
        env={"PATH": f"{exe}:/usr/bin:/bin", "HOME": str(cwd), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_a_new_newsletter_builds_and_checks_clean(tmp_path, provider):
    result = mailer("init", "news", "--provider", provider, "--name", "Field Notes", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "news"
    files = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert files == {
        ".github/dependabot.yml",
        ".github/workflows/archive.yml",
        ".github/workflows/check.yml",
        ".github/workflows/links.yml",
        ".github/workflows/publish.yml",
        ".github/workflows/test-send.yml",
        ".gitignore",
        "README.md",
        "newsletter.toml",
        "requirements.txt",
        "requirements-shots.txt",
        f"issues/{date.today() + timedelta(days=7)}-welcome.md",
    }
    for path in folder.rglob("*"):
        if path.is_file():
            assert not re.search(r"@[A-Z_]+@", path.read_text()), path
    settings = tomllib.loads((folder / "newsletter.toml").read_text())
    assert settings["newsletter"]["name"] == "Field Notes"
    assert settings["provider"]["name"] == provider

    # from inside the issues folder, as an editor would: newsletter.toml is found above
    build = mailer("build", cwd=folder / "issues")
    assert build.returncode == 0, build.stderr
    assert len(list((folder / "build").glob("*.html"))) == 1
    # the first issue holds the template's placeholder words: the gate says so until they go
    check = mailer("check", "--strict", cwd=folder / "issues")
    assert check.returncode == 1 and "[template-unchanged]" in check.stdout, check.stdout
    assert "1 error, 0 warnings" in check.stdout
    first = next((folder / "issues").glob("*.md"))
    first.write_text(
        first.read_text().replace(
            "Write a few lines about why you started it.", "Notes from the field, every week."
        )
    )
    check = mailer("check", "--strict", cwd=folder / "issues")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "0 errors, 0 warnings" in check.stdout


def test_scaffolded_workflows_are_valid_pinned_and_pass_shellcheck(tmp_path):
    start_newsletter(tmp_path, name="Field Notes", provider="listmonk", today=TODAY)
    workflows = sorted((tmp_path / ".github" / "workflows").glob("*.yml"))
    assert_schema_valid("vendor.github-workflows", workflows)
    assert_schema_valid("vendor.dependabot", [tmp_path / ".github" / "dependabot.yml"])
    pinned = {repo: sha for repo, sha, _ in ACTIONS.values()}
    for workflow in workflows:
        data = yaml.safe_load(workflow.read_text())
        assert data["permissions"] == {"contents": "read"}, workflow.name
        for job in data["jobs"].values():
            for step in job["steps"]:
                if "uses" in step:  # every action at a full commit, never a movable tag
                    repo, _, ref = step["uses"].partition("@")
                    assert ref == pinned[repo], step["uses"]
        assert_shell_clean(workflow, tmp_path)
    publish = yaml.safe_load((tmp_path / ".github/workflows/publish.yml").read_text())
    assert publish["concurrency"] == {"group": "publish", "cancel-in-progress": False}
    sync = publish["jobs"]["sync"]["steps"][-1]
    assert sync["env"]["MAILER_LISTMONK_API_KEY"] == "${{ secrets.LISTMONK_API_KEY }}"


def test_the_scaffold_says_what_its_workflows_cost_and_publish_runs_at_most_4_times_a_day(
    tmp_path,
):
    """The minutes a month in the scaffolded README are the ones its workflow files cost
    (tools/actions_minutes.py); the schedule is a safety net, the push is the way in."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("minutes", ROOT / "tools" / "actions_minutes.py")
    assert spec is not None and spec.loader is not None
    minutes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(minutes)
    start_newsletter(tmp_path, name="Field Notes", provider="buttondown", today=TODAY)
    workflows = tmp_path / ".github" / "workflows"
    publish = yaml.safe_load((workflows / "publish.yml").read_text())
    on = publish.get("on") or publish[True]
    assert "push" in on and sum(minutes.runs_a_month(c["cron"]) for c in on["schedule"]) <= 4 * 30
    total = round(minutes.report(workflows))
    readme = (tmp_path / "README.md").read_text()
    assert f"about {total} GitHub Actions minutes a month" in readme
    for workflow in workflows.glob("*.yml"):  # every install is cached
        for job in yaml.safe_load(workflow.read_text())["jobs"].values():
            for step in job["steps"]:
                if "setup-python" in step.get("uses", ""):
                    assert step["with"]["cache"] == "pip", workflow.name


def test_the_scaffolded_publish_workflow_schedules_once_however_often_it_runs(tmp_path, buttondown):
    start_newsletter(tmp_path, name="Field Notes", provider="buttondown", today=TODAY)
    soon = (datetime.now(UTC) + timedelta(days=3)).date()
    (tmp_path / "issues" / f"{soon}-ready.md").write_text(
        f"---\ntitle: Ready\nsubtitle: Going out\ndate: {soon}\n---\nHello, readers.\n"
    )
    steps = [s for _, s in run_steps(tmp_path / ".github/workflows/publish.yml")]
    steps = [s for s in steps if "pip install" not in s["run"]]  # installed here already
    assert len(steps) == 1

    def run_action(n: int) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": f"{BIN}:/usr/bin:/bin",
            "HOME": str(tmp_path),
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(tmp_path / f"summary-{n}.md"),
            "MAILER_BUTTONDOWN_BASE_URL": buttondown.url,  # the fake, not api.buttondown.com
            **action_env(steps[0], {"secrets.BUTTONDOWN_API_KEY": API_KEY, "inputs.dry_run": ""}),
        }
        return subprocess.run(
            ["bash", "-e", "-c", steps[0]["run"]],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    first = run_action(1)
    assert first.returncode == 0, first.stdout + first.stderr
    assert [e["status"] for e in buttondown.emails.values()].count("scheduled") == 1
    writes = len(buttondown.server.writes())
    second = run_action(2)
    assert second.returncode == 0, second.stdout + second.stderr
    assert len(buttondown.server.writes()) == writes
    assert "nothing to change" in (tmp_path / "summary-2.md").read_text()
    assert buttondown.sent_to_list == []
    assert API_KEY not in first.stdout + first.stderr + second.stdout + second.stderr


def test_init_never_overwrites_and_writes_nothing_when_refused(tmp_path):
    (tmp_path / "README.md").write_text("mine\n")
    with pytest.raises(OutputError, match=r"README\.md"):
        start_newsletter(tmp_path, name="Field Notes", provider="kit", today=TODAY)
    assert [p.name for p in tmp_path.iterdir()] == ["README.md"]
    assert (tmp_path / "README.md").read_text() == "mine\n"
    result = mailer("init", ".", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "nothing was written" in result.stderr


@pytest.mark.parametrize(
    ("name", "provider", "message"),
    [("", "kit", "needs a name"), ("Two\nlines", "kit", "one line"), ("Fine", "sendgrid", "kit")],
)
def test_init_refuses_bad_names_and_unknown_providers(tmp_path, name, provider, message):
    with pytest.raises(ConfigError, match=message):
        start_newsletter(tmp_path, name=name, provider=provider, today=TODAY)
    assert list(tmp_path.iterdir()) == []


def test_a_name_with_quotes_survives_toml_and_yaml(tmp_path):
    name = 'The "Weekly" \\ Digest @DATE@'
    start_newsletter(tmp_path, name=name, provider="kit", today=TODAY)
    settings = tomllib.loads((tmp_path / "newsletter.toml").read_text())
    assert settings["newsletter"]["name"] == name
    issue = next((tmp_path / "issues").glob("*.md"))
    header = yaml.safe_load(issue.read_text().split("---")[1])
    assert header["title"] == f"{name} #1"
    assert header["date"] == TODAY + timedelta(days=7) and header["draft"] is True


def test_requirements_pin_every_installed_runtime_dependency():
    pins = dict(line.split("==") for line in requirements("9.9.9").splitlines() if "==" in line)
    assert pins.pop("newsletter-as-code") == "9.9.9"
    for requirement in metadata.requires("newsletter-as-code") or []:
        if "extra ==" in requirement:
            continue
        name = re.match(r"[A-Za-z0-9._-]+", requirement)[0].lower().replace("_", "-")
        assert pins[name] == metadata.version(name)
    assert "pytest" not in pins and "ruff" not in pins  # test and dev tools are not pinned
    assert pins["markupsafe"] == metadata.version("markupsafe")  # a dependency's dependency


def test_the_wheel_alone_starts_builds_checks_and_archives_a_newsletter(tmp_path):
    """The sdist, the wheel built from it, installed without the checkout: every file it needs
    is inside both."""
    dist = tmp_path / "dist"
    built = subprocess.run(  # python -m build: the sdist first, then the wheel from the sdist
        [sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    sdist = next(dist.glob("newsletter_as_code-*.tar.gz"))
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "mailer/data/css-support.json", "mailer/init/scaffolding/gitignore"} <= names
    assert not any(name.startswith(("issues/", "tests/", ".venv/")) for name in names)
    wheel = next(dist.glob("newsletter_as_code-*.whl"))
    import mailer as this

    # one version source: the wheel's metadata says what mailer/__init__.py says
    assert wheel.name.startswith(f"newsletter_as_code-{this.__version__}-")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    site = next(env_dir.glob("lib/python*/site-packages"))
    # the libraries come from this environment (no network needed); mailer only from the wheel:
    # a .pth names the directory without running the editable install's own .pth hooks
    (site / "dependencies.pth").write_text(
        next(Path(sys.executable).parent.parent.glob("lib/python*/site-packages")).as_posix() + "\n"
    )
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(env_dir / "bin/python"), "install",
         "--no-deps", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    exe = env_dir / "bin"
    where = subprocess.run(
        [str(exe / "python"), "-c", "import mailer; print(mailer.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(str(env_dir)), where.stdout + where.stderr
    assert mailer("--version", cwd=tmp_path, exe=exe).stdout.split()[-1] == this.__version__

    work = tmp_path / "elsewhere"
    work.mkdir()
    assert mailer("init", "news", cwd=work, exe=exe).returncode == 0
    news = work / "news"
    first = next((news / "issues").glob("*.md"))  # the editor writes the first issue's words
    first.write_text(
        first.read_text().replace("Write a few lines about why you started it.", "Hi.")
    )
    for args in (["build"], ["check", "--strict"], ["archive", "-o", "site"], ["new", "Second"]):
        result = mailer(*args, cwd=news / "issues", exe=exe)
        assert result.returncode == 0, f"{args}: {result.stdout}{result.stderr}"
    assert (news / "issues" / "site" / "index.html").is_file()
    assert (news / "issues" / "site" / "feed.xml").is_file()
    assert len(list((news / "issues").glob("*.md"))) == 2
    html = next((news / "build").glob("*.html")).read_text()
    assert "News" in html and "<table" in html  # the templates ship in the wheel

    # the css-support rule reads its table from the wheel's package data: it runs, and finds
    (news / "issues" / "2030-01-01-styled.md").write_text(
        "---\ntitle: Styled\nsubtitle: A test\ndate: 2030-01-01\n---\n"
        '<p style="float: left">x</p>\n'
    )
    styled = mailer(
        "check", "2030-01-01-styled.md", "--format", "json", cwd=news / "issues", exe=exe
    )
    findings = json.loads(styled.stdout)
    assert [f["rule"] for f in findings] == ["css-support"], findings
    assert "ignored by" in findings[0]["message"] and "could not run" not in styled.stdout


def test_the_pictures_job_draws_only_the_issues_a_pull_request_changes(tmp_path):
    """The scaffolded check workflow's pictures job: the changed issues' step lists the issues
    of the pull request (none: a line in the summary, and every later step is skipped)."""
    start_newsletter(tmp_path, name="Field Notes", provider="kit", today=TODAY)
    data = yaml.safe_load((tmp_path / ".github/workflows/check.yml").read_text())
    job = data["jobs"]["pictures"]
    assert job["if"] == "github.event_name == 'pull_request'"
    steps = job["steps"]
    at = next(n for n, s in enumerate(steps) if s.get("id") == "changed")
    changed, later = steps[at], steps[at + 1 :]
    assert later and all("steps.changed.outputs.issues != ''" in s["if"] for s in later)
    assert (tmp_path / "requirements-shots.txt").read_text().count("==") == 2

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=E", "-c", "user.email=e@x", *args],
            cwd=tmp_path, check=True, capture_output=True,
        )  # fmt: skip

    git("init", "-q", "-b", "main")
    git("add", ".")
    git("commit", "-q", "-m", "start")
    base = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True
    ).stdout.strip()

    def run_changed(n: int) -> tuple[str, str]:
        output, summary = tmp_path / f"out-{n}", tmp_path / f"summary-{n}"
        env = {"PATH": "/usr/bin:/bin", "BASE_SHA": base, "GITHUB_OUTPUT": str(output),
               "GITHUB_STEP_SUMMARY": str(summary)}  # fmt: skip
        subprocess.run(["bash", "-e", "-c", changed["run"]], cwd=tmp_path, env=env, check=True)
        return output.read_text(), summary.read_text() if summary.exists() else ""

    assert run_changed(1) == ("issues=\n", "No issue changed: no pictures to draw.\n")
    (tmp_path / "issues" / "2030-01-01-next.md").write_text(
        "---\ntitle: Next\ndate: 2030-01-01\n---\nHi\n"
    )
    (tmp_path / "notes.txt").write_text("not an issue\n")
    git("add", ".")
    git("commit", "-q", "-m", "next")
    assert run_changed(2) == ("issues=issues/2030-01-01-next.md \n", "")


@pytest.mark.parametrize("provider", ["buttondown", "mailchimp", "listmonk", "kit"])
def test_each_secret_is_named_once(tmp_path, provider):
    start_newsletter(tmp_path, name="Field Notes", provider=provider, today=TODAY)
    readme = (tmp_path / "README.md").read_text()
    secret = f"{provider.upper()}_API_KEY"
    line = next(line for line in readme.splitlines() if "Secrets and variables" in line)
    assert line.count(f"`{secret}`") == 1, line
    publish = yaml.safe_load((tmp_path / ".github/workflows/publish.yml").read_text())
    env = publish["jobs"]["sync"]["steps"][-1]["env"]
    assert [v for v in env.values() if "secrets." in v] == [f"${{{{ secrets.{secret} }}}}"]


@pytest.mark.parametrize(
    ("direct_url", "line", "warned"),
    [
        (None, "newsletter-as-code==1.2.3", False),  # from an index: a release
        (
            '{"url": "https://github.com/o/newsletter-as-code.git", "vcs_info": {"vcs": "git",'
            ' "commit_id": "0123456789abcdef0123456789abcdef01234567", "requested_revision": "main"}}',  # noqa: E501
            "newsletter-as-code @ git+https://github.com/o/newsletter-as-code.git"
            "@0123456789abcdef0123456789abcdef01234567",
            False,
        ),
        (
            '{"url": "file:///home/me/newsletter-as-code", "vcs_info": {"vcs": "git",'
            ' "commit_id": "0123456789abcdef0123456789abcdef01234567"}}',
            "# newsletter-as-code was installed from a Git repository on this machine",
            True,
        ),
        ('{"url": "file:///work/main", "dir_info": {"editable": true}}', "# newsletter-as-code:", True),  # noqa: E501
        (
            '{"url": "file:///tmp/newsletter_as_code-1.2.3-py3-none-any.whl", "archive_info": {}}',
            "# newsletter-as-code: this mailer was installed from a local folder or file",
            True,
        ),
    ],
)  # fmt: skip
def test_the_pin_says_how_this_mailer_was_installed(direct_url, line, warned):
    """PEP 610's record of the install decides; nothing silently pins a version that a runner
    cannot install."""
    from mailer.init.repository import install_pin

    pin, warning = install_pin(direct_url, "1.2.3")
    assert pin.startswith(line) and bool(warning) == warned
    if warned:
        assert "newsletter-as-code==1.2.3" in pin and "git+https://" in pin
    if direct_url and "file:///home/me" in direct_url:  # the commit as installed, on its line
        assert pin.splitlines()[-1].endswith(
            "@0123456789abcdef0123456789abcdef01234567#egg=newsletter-as-code"
        )


def test_init_warns_when_this_mailer_came_from_a_local_folder(tmp_path):
    """This checkout's own environment is an editable install: init says what to do."""
    result = mailer("init", "news", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Warning: requirements.txt: mailer was installed from a local folder" in result.stderr
    first = (tmp_path / "news" / "requirements.txt").read_text().splitlines()[2]
    assert first.startswith("# newsletter-as-code: this mailer was installed from a local folder")


def test_a_local_git_install_pins_its_commit_and_a_second_environment_installs_it(tmp_path):
    """The whole way, with real pip: mailer installed from a Git repository at a commit, `init`,
    then the scaffolded requirements.txt installed into a second fresh environment gives the same
    mailer (Debian's own pip included: the pin is in the form every pip reads)."""
    source = tmp_path / "mailer-src"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(source)], check=True, timeout=120)
    commit = subprocess.run(
        ["git", "-C", str(source), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()

    def environment(name: str) -> Path:
        venv.EnvBuilder(with_pip=True).create(tmp_path / name)
        return tmp_path / name / "bin"

    def run(*args: str | Path, cwd: Path = tmp_path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600
        )

    first = environment("first")
    got = run(first / "pip", "install", "-q", f"git+file://{source}@{commit}")
    assert got.returncode == 0, got.stderr[-2000:]
    started = run(first / "mailer", "init", "news", "--name", "Field Notes")
    assert started.returncode == 0, started.stderr
    assert "GitHub cannot reach" in started.stderr  # said once, and what to do is in the file
    pins = (tmp_path / "news" / "requirements.txt").read_text()
    assert f"git+file://{source}@{commit}#egg=newsletter-as-code" in pins.splitlines()
    second = environment("second")
    got = run(second / "pip", "install", "-q", "-r", tmp_path / "news" / "requirements.txt")
    assert got.returncode == 0, got.stderr[-2000:]
    assert run(second / "mailer", "--version").stdout == run(first / "mailer", "--version").stdout
    record = json.loads(
        next((second.parent / "lib").glob("python*/site-packages/newsletter_as_code-*"))
        .joinpath("direct_url.json")
        .read_text()
    )
    assert record["vcs_info"]["commit_id"] == commit  # the very commit, not a newer one
