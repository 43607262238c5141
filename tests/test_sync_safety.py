"""Sync with real subscribers on the line, for every provider: each case ends with exactly one
live email per issue in the intended state, or with exit 1 and a clear message; never with a
duplicate or an immediate send.

Runs are real ``mailer sync`` processes (three at once where the case is concurrency) against
each provider's stateful fake on 127.0.0.1.
"""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

SOON = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def newsletter(tmp_path, any_provider):
    """A newsletter folder set up for the provider under test, and a way to run mailer in it."""
    root = tmp_path / "news"
    (root / "issues").mkdir(parents=True)
    options = "".join(
        f"{key} = {value!r}\n".replace("'", '"') for key, value in any_provider.options.items()
    )
    (root / "newsletter.toml").write_text(
        f'[newsletter]\nname = "Lab Notes"\nfrom = "Lab Notes <ed@example.org>"\n'
        f'[provider]\nname = "{any_provider.name}"\n'
        f"[provider.{any_provider.name}]\n{options}"
    )

    class Newsletter:
        folder = root
        issues = root / "issues"
        put = any_provider
        fake = any_provider.fake

        def write(self, name, *, when=SOON, slug=None, draft=False, body="Body text.", title=None):
            header = f"title: {title or name}\nsubtitle: Sub\ndate: {when.date()}\n"
            header += f"send_at: {when.isoformat()}\n"
            header += f"slug: {slug}\n" if slug else ""
            header += "draft: true\n" if draft else ""
            path = self.issues / f"{name}.md"
            path.write_text(f"---\n{header}---\n{body}\n")
            return path

        def mailer(self, *args):
            env = {**any_provider.env, "PATH": "/usr/bin:/bin", "MAILER_HTTP_TIMEOUT": "5"}
            return subprocess.run(
                [sys.executable, "-m", "mailer", *args],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )

        def live(self, key):
            return [e for e in self.fake.by_key(key) if e in self.fake.live()]

        def one_scheduled(self, key):
            """Exactly one live email for `key`, and it is scheduled."""
            live = self.live(key)
            assert len(live) == 1, f"{len(live)} live emails for {key}"
            assert str(live[0]["id"]) in self.fake.scheduled_ids(), live[0]
            return live[0]

    return Newsletter()


def clean(result):
    """A run's output: no traceback, never the key."""
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout + result.stderr


def test_three_syncs_at_once_over_new_issues(newsletter):
    for n in range(6):
        newsletter.write(f"issue-{n}", when=SOON + timedelta(hours=n))
    newsletter.put.server.latency = 0.01  # the runs' requests interleave
    with ThreadPoolExecutor(3) as pool:
        runs = list(pool.map(lambda _: newsletter.mailer("sync"), range(3)))
    for run in runs:
        out = clean(run)
        assert run.returncode in (0, 1), out
        if run.returncode == 1:  # it met another run's emails: said so, kept one of each
            met = "released to a draft" in out or "a second live email" in out
            # or a write the provider refused because another run had moved the email on
            # (Mailchimp will not edit a campaign another run just scheduled): said FAILED
            refused = re.search(r"^\s+issue-\d\s+FAILED: ", out, re.M) is not None
            assert met or refused, out
    for n in range(6):
        newsletter.one_scheduled(f"issue-{n}")
    assert newsletter.fake.sent_to_list == []
    settle = newsletter.mailer("sync")
    assert settle.returncode == 0, clean(settle)
    writes = len(newsletter.put.server.writes())
    quiet = newsletter.mailer("sync")
    assert quiet.returncode == 0 and len(newsletter.put.server.writes()) == writes


def test_independent_issues_are_written_at_once_within_the_providers_room(newsletter):
    """Provider.concurrency: Mailchimp 3 (its limit is 10 simultaneous connections), listmonk
    4, Buttondown and Kit 1 (rate limits one request at a time already meets)."""
    from mailer.providers import PROVIDERS

    room = PROVIDERS[newsletter.put.name].concurrency
    for n in range(8):
        newsletter.write(f"issue-{n}", when=SOON + timedelta(hours=n))
    server = newsletter.put.server
    server.latency = 0.02  # requests of different issues overlap when they may
    run = newsletter.mailer("sync")
    assert run.returncode == 0, clean(run)
    assert server.peak_in_flight == room or (room > 1 and 1 < server.peak_in_flight <= room)
    assert 429 not in server.statuses  # never past the provider's limit
    for n in range(8):
        newsletter.one_scheduled(f"issue-{n}")
    assert newsletter.fake.sent_to_list == []


def test_a_file_named_twice_is_refused_the_others_go_ahead(newsletter):
    twice = newsletter.write("twice")
    newsletter.write("other", when=SOON + timedelta(days=1))
    run = newsletter.mailer("sync", "issues", str(twice))
    out = clean(run)
    assert run.returncode == 1 and "is named more than once" in out
    assert newsletter.fake.by_key("twice") == []
    newsletter.one_scheduled("other")


def test_two_files_with_one_slug_are_refused(newsletter):
    newsletter.write("first", slug="same")
    newsletter.write("second", slug="same", when=SOON + timedelta(days=1))
    run = newsletter.mailer("sync")
    out = clean(run)
    assert run.returncode == 1 and "has the slug 'same', as " in out
    assert newsletter.fake.by_key("same") == []


def test_a_renamed_file_is_never_sent_twice(newsletter):
    old = newsletter.write("spring", title="Spring cleaning")
    assert newsletter.mailer("sync").returncode == 0
    newsletter.one_scheduled("spring")
    new = old.with_name("2026-spring.md")
    old.rename(new)
    # one file named: the run cannot know the old one is gone
    single = newsletter.mailer("sync", str(new))
    out = clean(single)
    assert single.returncode == 1 and "looks like a rename of 'spring'" in out
    assert "set 'slug: spring' in 2026-spring.md" in out
    # a whole folder, but a broken sibling: same
    (newsletter.issues / "broken.md").write_text("---\ntitle: [oops\n---\nx\n")
    partial = newsletter.mailer("sync")
    assert partial.returncode == 1 and "looks like a rename of 'spring'" in clean(partial)
    assert newsletter.fake.by_key("2026-spring") == []
    newsletter.one_scheduled("spring")
    # every issue seen: the old email is unscheduled, the new one scheduled: still one
    (newsletter.issues / "broken.md").unlink()
    whole = newsletter.mailer("sync")
    assert whole.returncode == 0, clean(whole)
    newsletter.one_scheduled("2026-spring")
    assert [
        e for e in newsletter.live("spring") if str(e["id"]) in newsletter.fake.scheduled_ids()
    ] == []


def test_a_lost_create_is_found_and_scheduled(newsletter):
    newsletter.write("lost")
    newsletter.fake.drop_next(*newsletter.fake.create_call, after=True)
    run = newsletter.mailer("sync")
    assert run.returncode == 0, clean(run)
    newsletter.one_scheduled("lost")


def test_a_silently_ignored_unschedule_fails_the_run_and_the_next_repairs(newsletter):
    newsletter.write("held")
    assert newsletter.mailer("sync").returncode == 0
    newsletter.write("held", draft=True)
    newsletter.fake.ignore_unschedule = True
    run = newsletter.mailer("sync")
    out = clean(run)
    assert run.returncode == 1 and "FAILED" in out
    newsletter.fake.ignore_unschedule = False
    again = newsletter.mailer("sync")
    assert again.returncode == 0, clean(again)
    (email,) = newsletter.live("held")
    assert str(email["id"]) not in newsletter.fake.scheduled_ids()


def test_a_campaign_edited_in_the_web_app_is_still_the_one(newsletter):
    newsletter.write("named")
    assert newsletter.mailer("sync").returncode == 0
    (email,) = newsletter.fake.by_key("named")
    newsletter.fake.edit_in_web_app(str(email["id"]))
    newsletter.write("named", body="Edited text.")  # a change: the next run writes
    run = newsletter.mailer("sync")
    assert run.returncode == 0, clean(run)
    kept = newsletter.one_scheduled("named")
    assert kept["id"] == email["id"]  # the same email, its marker put back
    assert len(newsletter.fake.live()) == 1


def test_duplicates_from_any_cause_converge_on_the_oldest(newsletter):
    newsletter.write("dup")
    assert newsletter.mailer("sync").returncode == 0
    (first,) = newsletter.fake.by_key("dup")
    # a second live email carrying the same marker: "duplicate" clicked in the web app
    newsletter.fake.copy_in_web_app(str(first["id"]))
    assert len(newsletter.live("dup")) == 2
    run = newsletter.mailer("sync")
    out = clean(run)
    assert run.returncode == 1 and "a second live email for this issue" in out
    kept = newsletter.one_scheduled("dup")
    assert kept["id"] == first["id"]
    assert newsletter.mailer("sync").returncode == 0  # converged: the next run is quiet


def test_malformed_replies_fail_one_issue_and_the_report_is_written(newsletter):
    newsletter.write("a")
    newsletter.write("b", when=SOON + timedelta(days=1))
    method, path = newsletter.fake.create_call
    newsletter.fake.fail_next(method, path, 200, b"<html><body>502 Bad Gateway</body></html>")
    run = newsletter.mailer("sync")
    out = clean(run)
    assert run.returncode == 1
    assert "sent an answer that is not JSON (HTTP 200)" in out and "Result:" in out
    assert len(newsletter.fake.by_key("a")) + len(newsletter.fake.by_key("b")) == 1
    repaired = newsletter.mailer("sync")
    assert repaired.returncode == 0, clean(repaired)
    newsletter.one_scheduled("a")
    newsletter.one_scheduled("b")


@pytest.mark.parametrize(
    "body",
    [b"[1, 2, 3]", b'{"truncated": ', b"", b"null"],
    ids=["array", "truncated", "empty", "null"],
)
def test_listing_that_cannot_be_read_plans_nothing(newsletter, body):
    newsletter.write("a")
    method, path = newsletter.fake.list_call
    for _ in range(4):
        newsletter.fake.fail_next(method, path, 200, body, {"Content-Type": "application/json"})
    run = newsletter.mailer("sync")
    out = clean(run)
    assert run.returncode == 1 and "nothing was planned or changed" in out
    assert newsletter.put.server.writes() == []


def test_retry_after_that_is_not_a_time_means_backing_off(newsletter):
    newsletter.write("a")
    method, path = newsletter.fake.list_call
    newsletter.fake.fail_next(method, path, 429, {"detail": "slow"}, {"Retry-After": "soon"})
    run = newsletter.mailer("sync")
    assert run.returncode == 0, clean(run)
    newsletter.one_scheduled("a")


def test_check_errors_hold_an_issue_as_a_draft_unless_allowed(newsletter):
    newsletter.write("unfinished", body="TODO: write the introduction.")
    run = newsletter.mailer("sync")
    out = clean(run)
    assert run.returncode == 1 and "held as a draft" in out and "[placeholder]" in out
    (email,) = newsletter.live("unfinished")
    assert str(email["id"]) not in newsletter.fake.scheduled_ids()
    allowed = newsletter.mailer("sync", "--allow-errors")
    assert allowed.returncode == 0, clean(allowed)
    newsletter.one_scheduled("unfinished")


def test_the_key_is_never_printed_even_when_echoed(newsletter):
    newsletter.write("a")
    method, path = newsletter.fake.create_call
    key = newsletter.put.key
    newsletter.fake.fail_next(method, path, 422, {"detail": f"bad request from {key}"})
    run = newsletter.mailer("sync")
    assert key not in run.stdout + run.stderr


def test_mailer_new_writes_the_slug_so_a_rename_keeps_the_key(newsletter):
    made = newsletter.mailer("new", "Spring cleaning", "--date", str(SOON.date()))
    path = Path(newsletter.folder / made.stdout.strip())
    assert f"slug: {path.stem}\n" in path.read_text()
    text = path.read_text().replace("draft: true\n", "")
    # the editor writes the issue: the template's placeholder words are a gate error
    text = text.replace("Write the introduction here.", "Spring is here: a clean-up.")
    text = text.replace(
        "[A link worth reading](https://example.com/)", "[A tidy repo](https://example.org/)"
    )
    path.write_text(text)
    assert newsletter.mailer("sync").returncode == 0
    path.rename(path.with_name("renamed.md"))
    again = newsletter.mailer("sync", str(path.with_name("renamed.md")))
    assert again.returncode == 0, clean(again)
    newsletter.one_scheduled(path.stem)


@pytest.mark.parametrize("seed", range(2))
def test_concurrent_runs_with_faults_keep_the_guarantees(newsletter, seed):
    """Rounds of two or three `mailer sync` processes at once, with random faults (lost
    answers, 503s, HTML pages, cut-off bodies, Retry-After: soon) and edits in the web app in
    between. After every round: at most one live email per issue; nothing scheduled that the
    file says is a draft, in the past or failing the gate; nothing sent but what was scheduled.
    Once the faults stop, one run brings everything to its intended state."""
    import random

    rng = random.Random(seed)
    fake = newsletter.fake
    newsletter.put.server.latency = 0.005
    keys = [f"k{n}" for n in range(4)]
    newsletter.write("past", when=SOON - timedelta(days=30))
    state: dict[str, dict] = {}

    def rewrite(key):
        draft = rng.random() < 0.25
        gate = rng.random() < 0.2  # a placeholder: `mailer check` finds an error
        when = SOON + timedelta(days=rng.randint(0, 3), hours=rng.randint(0, 23))
        newsletter.write(key, when=when, draft=draft, body="TODO" if gate else f"v{rng.random()}")
        state[key] = {"may_schedule": not draft and not gate, "held": gate and not draft}

    for key in keys:
        rewrite(key)
    scheduled_ever: set[str] = set()
    for _ in range(3):
        for key in keys:
            if rng.random() < 0.4:
                rewrite(key)
        for _ in range(rng.randint(1, 4)):
            method, path = rng.choice([fake.list_call, fake.create_call, fake.update_call])
            kind = rng.choice(["503", "after", "before", "html", "cut", "soon"])
            if kind == "503":
                fake.fail_next(method, path, 503, {"detail": "unavailable"})
            elif kind == "html":
                fake.fail_next(method, path, 200, b"<html>Bad gateway</html>")
            elif kind == "cut":
                fake.fail_next(method, path, 200, b'{"id": ', {"Content-Type": "application/json"})
            elif kind == "soon":
                fake.fail_next(method, path, 429, {"detail": "slow"}, {"Retry-After": "soon"})
            else:
                fake.drop_next(method, path, after=kind == "after")
        if fake.live() and rng.random() < 0.5:
            fake.edit_in_web_app(str(rng.choice(fake.live())["id"]))
        count = rng.choice([2, 3])
        with ThreadPoolExecutor(count) as pool:
            runs = list(pool.map(lambda _: newsletter.mailer("sync"), range(count)))
        for run in runs:
            clean(run)
            assert newsletter.put.key not in run.stdout + run.stderr
        assert fake.by_key("past") == []
        for key in keys:
            assert len(newsletter.live(key)) <= 1, f"two live emails for {key}"
            for email in newsletter.live(key):
                if str(email["id"]) in fake.scheduled_ids() and not state[key]["may_schedule"]:
                    # only where a fault stopped every run from changing it, and each said so
                    failed = re.compile(rf"^\s+{key}\s+FAILED: ", re.M)
                    assert all(failed.search(run.stdout) for run in runs), (
                        f"{key} scheduled against its file, and a run did not say it failed"
                    )
                    assert all(run.returncode == 1 for run in runs)
        scheduled_ever |= set(fake.scheduled_ids())
        assert set(fake.sent_to_list) <= scheduled_ever
        assert fake.refused_edits_of_sent == []
    fake.faults.clear()
    final = newsletter.mailer("sync")
    out = clean(final)
    # a person is called for an issue its check errors keep from going out, not for a draft
    expected = 1 if any(state[k]["held"] for k in keys) else 0
    if re.search(r"^\s+\S+\s+released\s", out, re.M):
        # a copy released earlier whose note a person then edited in the web app is known by
        # its content's marker again: it is released once more, and that calls a person
        assert final.returncode == 1, out
        final = newsletter.mailer("sync")
        out = clean(final)
        assert not re.search(r"^\s+\S+\s+released\s", out, re.M), out
    assert final.returncode == expected, out
    for key in keys:
        live = newsletter.live(key)
        assert len(live) == 1, f"{key}: {len(live)} live"
        is_scheduled = str(live[0]["id"]) in fake.scheduled_ids()
        assert is_scheduled == state[key]["may_schedule"], (key, out)
