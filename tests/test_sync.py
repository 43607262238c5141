"""mailer sync: the table of DESIGN.md as a pure plan, then end to end against the fake."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes.buttondown import API_KEY

from mailer.issue.load import load_issue
from mailer.providers import RemoteEmail, Target, get_provider
from mailer.render.pipeline import render_issue
from mailer.sync import LEAD, Wanted, draft_of, plan_sync, sync

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def issue_file(
    folder: Path, slug: str, when: datetime | str, *, draft: bool = False, body: str = "Body text."
) -> Path:
    day = when if isinstance(when, str) else when.strftime("%Y-%m-%dT%H:%M:%S%z")
    path = folder / f"{slug}.md"
    path.write_text(
        f"---\ntitle: {slug}\nsubtitle: S\ndate: {str(day)[:10]}\nsend_at: {day}\n"
        f"draft: {'true' if draft else 'false'}\n---\n{body}\n"
    )
    return path


def planned(tmp_path, make_settings, remotes, *issues, now=NOW, prune=True, **settings):
    s = make_settings(**settings)
    loaded = []
    for path in issues:
        issue = load_issue(path, s)
        loaded.append(Wanted(issue, draft_of(render_issue(issue, s))))
    steps = plan_sync(loaded, remotes, s, now, complete=prune)
    return {step.key: step for step in steps}, {w.draft.key: w.draft for w in loaded}


def remote(key, state, content_hash="old", at=None, status=None, managed=True, **more):
    """An email as a provider lists it; `managed=False`: made by hand, no marker."""
    return RemoteEmail(
        f"em_{key}", key if managed else None, state, status or state, content_hash, at, **more
    )


class TestPlan:
    def test_future_issue_is_created_scheduled(self, tmp_path, make_settings):
        steps, _ = planned(
            tmp_path, make_settings, [], issue_file(tmp_path, "a", NOW + timedelta(days=2))
        )
        assert steps["a"].action == "create"
        assert steps["a"].target == Target("scheduled", NOW + timedelta(days=2))

    def test_future_issue_is_a_draft_without_auto_schedule(self, tmp_path, make_settings):
        steps, _ = planned(
            tmp_path,
            make_settings,
            [],
            issue_file(tmp_path, "a", NOW + timedelta(days=2)),
            auto_schedule=False,
        )
        assert steps["a"].target == Target("draft")

    def test_draft_issue_is_created_as_draft(self, tmp_path, make_settings):
        steps, _ = planned(
            tmp_path,
            make_settings,
            [],
            issue_file(tmp_path, "a", NOW + timedelta(days=2), draft=True),
        )
        assert (steps["a"].action, steps["a"].target) == ("create", Target("draft"))

    def test_past_issue_never_pushed_is_reported_not_sent(self, tmp_path, make_settings):
        steps, _ = planned(
            tmp_path, make_settings, [], issue_file(tmp_path, "a", NOW - timedelta(days=30))
        )
        assert steps["a"].action == "past" and steps["a"].target is None

    def test_within_the_grace_window_it_is_scheduled_soon(self, tmp_path, make_settings):
        steps, _ = planned(
            tmp_path, make_settings, [], issue_file(tmp_path, "a", NOW - timedelta(minutes=20))
        )
        assert steps["a"].action == "create" and steps["a"].target == Target(
            "scheduled", NOW + LEAD
        )
        late, _ = planned(
            tmp_path,
            make_settings,
            [],
            issue_file(tmp_path, "b", NOW - timedelta(minutes=20)),
            grace_minutes=10,
        )
        assert late["b"].action == "past"

    def test_unchanged_is_nothing_changed_is_an_update(self, tmp_path, make_settings):
        when = NOW + timedelta(days=2)
        path = issue_file(tmp_path, "a", when)
        _, drafts = planned(tmp_path, make_settings, [], path)
        same = remote("a", "scheduled", drafts["a"].content_hash, when)
        steps, _ = planned(tmp_path, make_settings, [same], path)
        assert steps["a"].action == "none"
        steps, _ = planned(tmp_path, make_settings, [remote("a", "scheduled", "x", when)], path)
        assert steps["a"].action == "update" and "content changed" in steps["a"].reason
        moved = remote("a", "scheduled", drafts["a"].content_hash, when + timedelta(hours=1))
        steps, _ = planned(tmp_path, make_settings, [moved], path)
        assert steps["a"].action == "update" and "new send time" in steps["a"].reason

    def test_draft_again_is_an_update_to_draft(self, tmp_path, make_settings):
        path = issue_file(tmp_path, "a", NOW + timedelta(days=2), draft=True)
        steps, _ = planned(
            tmp_path, make_settings, [remote("a", "scheduled", at=NOW + timedelta(days=2))], path
        )
        assert steps["a"].action == "update" and steps["a"].target == Target("draft")
        assert "scheduled → draft" in steps["a"].reason

    def test_removed_file_unschedules_only_our_scheduled_emails(self, tmp_path, make_settings):
        keep = issue_file(tmp_path, "keep", NOW + timedelta(days=2))
        remotes = [
            remote("gone", "scheduled", at=NOW + timedelta(days=1)),
            remote("gone-draft", "draft"),
            remote("by-hand", "scheduled", at=NOW + timedelta(days=1), managed=False),
        ]
        steps, _ = planned(tmp_path, make_settings, remotes, keep)
        assert steps["gone"].action == "unschedule"
        assert "gone-draft" not in steps and "by-hand" not in steps
        steps, _ = planned(tmp_path, make_settings, remotes, keep, prune=False)
        assert "gone" not in steps

    def test_sent_is_never_touched(self, tmp_path, make_settings):
        path = issue_file(tmp_path, "a", NOW - timedelta(days=2))
        _, drafts = planned(tmp_path, make_settings, [], path)
        steps, _ = planned(
            tmp_path, make_settings, [remote("a", "sent", drafts["a"].content_hash)], path
        )
        assert steps["a"].action == "sent"
        steps, _ = planned(tmp_path, make_settings, [remote("a", "sent", "other")], path)
        assert steps["a"].action == "sent-changed"

    def test_past_and_scheduled_goes_back_to_draft(self, tmp_path, make_settings):
        path = issue_file(tmp_path, "a", NOW - timedelta(days=3))
        steps, _ = planned(
            tmp_path, make_settings, [remote("a", "scheduled", at=NOW + timedelta(days=1))], path
        )
        assert steps["a"].action == "unschedule"


@pytest.fixture
def folder(tmp_path):
    issues = tmp_path / "issues"
    issues.mkdir()
    return issues


def run_sync(folder, make_settings, buttondown_env, now=None, dry_run=False, **settings):
    s = make_settings(**settings)
    return sync(
        [folder],
        s,
        get_provider(s, buttondown_env, sleep=lambda _: None),
        now=now or datetime.now(UTC),
        dry_run=dry_run,
    )


def test_sync_end_to_end(folder, make_settings, buttondown, buttondown_env):
    soon = datetime.now(UTC) + timedelta(days=3)
    issue_file(folder, "future", soon)
    issue_file(folder, "wip", soon + timedelta(days=7), draft=True)
    issue_file(folder, "archive", "2020-01-03")
    report = run_sync(folder, make_settings, buttondown_env)
    assert not report.failed
    actions = {s.key: s.action for s in report.steps}
    assert actions == {"future": "create", "wip": "create", "archive": "past"}
    states = {e["slug"]: e["status"] for e in buttondown.emails.values()}
    assert states == {"future": "scheduled", "wip": "draft"}
    assert buttondown.sent_to_list == []

    writes = len(buttondown.server.writes())
    again = run_sync(folder, make_settings, buttondown_env)
    assert {s.action for s in again.steps} == {"none", "past"}
    assert len(buttondown.server.writes()) == writes  # a second run writes nothing

    issue_file(folder, "future", soon, body="Edited.")
    (folder / "wip.md").unlink()
    issue_file(folder, "wip2", soon, draft=True)
    third = run_sync(folder, make_settings, buttondown_env)
    assert {s.key: s.action for s in third.steps}["future"] == "update"
    assert len(buttondown.by_key("future")) == 1


def test_a_long_sync_says_how_far_it_got(folder, make_settings, buttondown, buttondown_env):
    soon = datetime.now(UTC) + timedelta(days=3)
    for n in range(3):
        issue_file(folder, f"issue-{n}", soon + timedelta(days=7 * n))
    heard: list[tuple[int, int]] = []
    s = make_settings()
    provider = get_provider(s, buttondown_env, sleep=lambda _: None)
    report = sync([folder], s, provider, progress=lambda done, total: heard.append((done, total)))
    assert not report.failed and heard == [(1, 3), (2, 3), (3, 3)]


def test_dry_run_writes_nothing(folder, make_settings, buttondown, buttondown_env):
    issue_file(folder, "future", datetime.now(UTC) + timedelta(days=3))
    report = run_sync(folder, make_settings, buttondown_env, dry_run=True)
    assert [s.action for s in report.steps] == ["create"] and report.outcomes == []
    assert buttondown.server.writes() == []


def test_a_broken_issue_fails_the_run_but_unschedules_nothing(
    folder, make_settings, buttondown, buttondown_env
):
    issue_file(folder, "a", datetime.now(UTC) + timedelta(days=3))
    run_sync(folder, make_settings, buttondown_env)
    (folder / "a.md").write_text("---\ntitle: [broken\n---\nx\n")
    report = run_sync(folder, make_settings, buttondown_env)
    assert report.failed and report.broken
    assert [e["status"] for e in buttondown.emails.values()] == ["scheduled"]


def test_deleting_the_last_issue_file_still_unschedules_its_email(
    folder, make_settings, buttondown, buttondown_env
):
    """No issue file left is a state to reach, not an error that leaves the email to go out;
    and since the folder may be the wrong one, a person is asked to look."""
    issue_file(folder, "only", datetime.now(UTC) + timedelta(days=3))
    run_sync(folder, make_settings, buttondown_env)
    assert [e["status"] for e in buttondown.emails.values()] == ["scheduled"]
    (folder / "only.md").unlink()
    report = run_sync(folder, make_settings, buttondown_env)
    [step] = report.steps
    assert step.action == "unschedule" and "no issue files at all" in step.reason
    assert report.failed  # exit 1: a person should look
    assert [e["status"] for e in buttondown.emails.values()] == ["draft"]
    assert buttondown.sent_to_list == []
    quiet = run_sync(folder, make_settings, buttondown_env)
    assert quiet.steps == [] and not quiet.failed


def test_check_errors_hold_only_what_would_go_out(
    folder, make_settings, buttondown, buttondown_env
):
    """A placeholder in a draft is work in progress: nothing is held, nobody is called. The same
    in an issue due to go out holds it as a draft, and the run asks for a person."""
    soon = datetime.now(UTC) + timedelta(days=3)
    issue_file(folder, "wip", soon, draft=True, body="TODO write this")
    issue_file(folder, "due", soon + timedelta(days=1), body="TODO write this")
    report = run_sync(folder, make_settings, buttondown_env)
    steps = {step.key: step for step in report.steps}
    assert not steps["wip"].held and not steps["wip"].attention
    assert steps["due"].held and steps["due"].attention and report.failed
    assert {finding.path.name for finding in report.held} == {"due.md"}
    assert {e["slug"]: e["status"] for e in buttondown.emails.values()} == {
        "wip": "draft",
        "due": "draft",
    }
    (folder / "due.md").unlink()
    calm = run_sync(folder, make_settings, buttondown_env)
    assert not calm.failed and calm.held == []


def test_cli_sync_prints_plan_and_result(folder, buttondown, buttondown_env, tmp_path):
    issue_file(folder, "future", datetime.now(UTC) + timedelta(days=3))
    env = {**buttondown_env, "PATH": "/usr/bin:/bin"}

    def mailer(*args):
        return subprocess.run(
            [sys.executable, "-m", "mailer", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )

    dry = mailer("sync", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run" in dry.stdout and "future" in dry.stdout and "create → scheduled" in dry.stdout
    assert buttondown.server.writes() == []
    real = mailer("sync", "--format", "json")
    rows = json.loads(real.stdout)
    assert rows[0]["action"] == "create" and rows[0]["result"] == "created"
    assert API_KEY not in real.stdout + real.stderr
    status = mailer("status")
    assert "future" in status.stdout and "scheduled" in status.stdout and "in sync" in status.stdout
    pushed = mailer("push", str(folder / "future.md"), "--draft")
    assert pushed.returncode == 0 and "updated future as draft" in pushed.stdout


def test_push_refuses_to_send_now(folder, buttondown_env, tmp_path):
    issue_file(folder, "old", "2020-01-01")
    result = subprocess.run(
        [sys.executable, "-m", "mailer", "push", str(folder / "old.md")],
        cwd=tmp_path,
        env={**buttondown_env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "is not in the future" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_sync_with_nothing_to_change_renders_nothing(
    tmp_path, buttondown, buttondown_env, monkeypatch
):
    """The gate's answer is remembered (.mailer/gate); a write renders just its issue, and what
    it uploads is the full email."""
    import mailer.sync.run as sync_run
    from mailer.core.config import load_settings

    (tmp_path / "newsletter.toml").write_text('[newsletter]\nname = "N"\n')
    folder = tmp_path / "issues"
    folder.mkdir()
    soon = datetime.now(UTC) + timedelta(days=3)
    for n in range(3):
        issue_file(folder, f"issue-{n}", soon + timedelta(days=7 * n))
    settings = load_settings(tmp_path / "newsletter.toml", env={})
    rendered: list[Path] = []
    real_process = sync_run.process

    def counted(source, s, **options):
        rendered.append(source)
        return real_process(source, s, **options)

    monkeypatch.setattr(sync_run, "process", counted)

    def run():
        rendered.clear()
        provider = get_provider(settings, buttondown_env, sleep=lambda _: None)
        return sync([folder], settings, provider, now=datetime.now(UTC))

    first = run()
    assert not first.failed and len(rendered) == 3
    assert len(list((tmp_path / ".mailer" / "gate").glob("*.json"))) == 3
    again = run()
    assert {s.action for s in again.steps} == {"none"} and rendered == []
    # unscheduled by hand in the web app: the next run schedules it again, rendering only it
    (mine,) = buttondown.by_key("issue-1")
    mine["status"] = "draft"
    third = run()
    assert {s.key: s.action for s in third.steps}["issue-1"] == "update"
    assert not third.failed and rendered == [folder / "issue-1.md"]
    (made,) = buttondown.by_key("issue-1")
    expected = render_issue(load_issue(folder / "issue-1.md", settings), settings)
    assert made["status"] == "scheduled" and made["body"].endswith(expected.html)
    # an edit is a miss: that issue is rendered (for its gate answer), the others are not
    issue_file(folder, "issue-2", soon + timedelta(days=14), body="Edited.")
    fourth = run()
    assert {s.key: s.action for s in fourth.steps}["issue-2"] == "update"
    assert rendered == [folder / "issue-2.md"]


def test_a_file_changed_between_plan_and_write_is_not_written(tmp_path, make_settings):
    from mailer.checks.process import process
    from mailer.core.errors import IssueError
    from mailer.sync import Step
    from mailer.sync.run import hollow_draft, with_content

    settings = make_settings()
    path = issue_file(tmp_path, "a", NOW + timedelta(days=2))
    planned_draft = hollow_draft(load_issue(path, settings), process(path, settings).content_hash)
    issue_file(tmp_path, "a", NOW + timedelta(days=2), body="Changed meanwhile.")
    step = Step("a", "update", "changed", path, draft=planned_draft)
    with pytest.raises(IssueError, match="changed while sync was running"):
        with_content(step, settings)
    assert with_content(replace_action(step, "none"), settings).draft is planned_draft


def replace_action(step, action):
    from dataclasses import replace

    return replace(step, action=action)


@pytest.mark.parametrize(
    ("base_url", "said"),
    [
        ("https://api.mailer-test.invalid/v1", "the name api.mailer-test.invalid did not resolve"),
        ("http://127.0.0.1:9/v1", "127.0.0.1 refused the connection"),
    ],
)
def test_offline_sync_says_why_and_points_at_no_marked_line(folder, tmp_path, base_url, said):
    issue_file(folder, "future", datetime.now(UTC) + timedelta(days=3))
    result = subprocess.run(
        [sys.executable, "-m", "mailer", "sync", str(folder)],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "MAILER_BUTTONDOWN_API_KEY": API_KEY,
            "MAILER_BUTTONDOWN_BASE_URL": base_url,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert said in result.stdout
    assert "Nothing was changed: the error above says why" in result.stdout
    assert "lines marked" not in result.stdout
