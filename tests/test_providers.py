"""What every provider guarantees, written once and run against each provider's fake."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from pushing import at, make_rendered

from mailer.core.errors import ConfigError, ProviderAuthError, ProviderError, UnsupportedFeature
from mailer.providers import Target
from mailer.sync import push, sync


def test_push_is_idempotent(any_provider, make_settings, write_issue):
    settings = any_provider.settings(make_settings)
    rendered = make_rendered(write_issue, settings)
    first = push(rendered, at(), settings, any_provider.provider(make_settings))
    assert first.action == "created" and first.state == "scheduled"
    writes = len(any_provider.server.writes())
    again = push(rendered, at(), settings, any_provider.provider(make_settings))
    assert again.action == "unchanged" and again.remote_id == first.remote_id
    assert len(any_provider.server.writes()) == writes
    assert len(any_provider.fake.by_key("week-1")) == 1 and any_provider.fake.sent_to_list == []


def test_change_then_draft_then_schedule_again(any_provider, make_settings, write_issue):
    settings = any_provider.settings(make_settings)
    provider = any_provider.provider(make_settings)
    created = push(make_rendered(write_issue, settings), at(), settings, provider)
    changed = make_rendered(write_issue, settings, body="Changed.")
    moved = push(changed, at(60), settings, provider)
    assert moved.action == "updated" and moved.remote_id == created.remote_id
    assert moved.state == "scheduled"
    as_draft = push(changed, Target("draft"), settings, provider)
    assert as_draft.state == "draft" and as_draft.action == "updated"
    again = push(changed, at(60), settings, provider)
    assert again.state == "scheduled" == provider.find("week-1", refresh=True).state
    assert len(any_provider.fake.by_key("week-1")) == 1
    assert any_provider.fake.sent_to_list == [] and any_provider.fake.refused_edits_of_sent == []


@pytest.mark.parametrize("after", [True, False], ids=["committed-then-lost", "lost-before"])
def test_a_lost_create_never_makes_two_and_still_reaches_its_target(
    any_provider, make_settings, write_issue, after
):
    settings = any_provider.settings(make_settings)
    any_provider.fake.drop_next(*any_provider.fake.create_call, after=after)
    result = push(
        make_rendered(write_issue, settings), at(), settings, any_provider.provider(make_settings)
    )
    assert len(any_provider.fake.by_key("week-1")) == 1
    assert result.state == "scheduled"  # not left a draft because the answer was lost


def test_rate_limits_and_server_errors_are_waited_out(any_provider, make_settings, write_issue):
    settings = any_provider.settings(make_settings)
    fake = any_provider.fake
    method, path = fake.list_call
    fake.rate_limit_next(method, path)  # as the provider does it (Kit: plain text, no wait)
    fake.fail_next(method, path, 503, {"detail": "unavailable"})
    waits: list[float] = []
    result = push(
        make_rendered(write_issue, settings),
        at(),
        settings,
        any_provider.provider(make_settings, sleep=waits.append),
    )
    assert result.action == "created" and len(waits) == 2
    assert waits[0] == fake.rate_limit_wait


def test_a_wrong_key_is_named_never_shown(any_provider, make_settings, write_issue):
    settings = any_provider.settings(make_settings)
    wrong = "WRONG-secret-key-value-123:xyz-us21"
    env_name = next(k for k in any_provider.env if k.endswith("_API_KEY"))
    any_provider.env[env_name] = wrong
    with pytest.raises(ProviderAuthError) as caught:
        push(
            make_rendered(write_issue, settings),
            at(),
            settings,
            any_provider.provider(make_settings),
        )
    assert env_name in str(caught.value) and wrong not in str(caught.value)


def test_test_send_or_a_clear_refusal(any_provider, make_settings, write_issue):
    settings = any_provider.settings(make_settings)
    provider = any_provider.provider(make_settings)
    push(make_rendered(write_issue, settings), Target("draft"), settings, provider)
    remote = provider.find("week-1", refresh=True)
    if not any_provider.cls.can_test_send:
        with pytest.raises(UnsupportedFeature, match="has no test-send endpoint"):
            provider.send_test(remote, ["me@example.org"])
        return
    provider.send_test(remote, ["me@example.org"])
    assert any_provider.fake.test_sends == [(remote.id, ["me@example.org"])]
    assert any_provider.fake.sent_to_list == []


def test_what_each_provider_receives(any_provider, make_settings, write_issue):
    """The rendered email, whole or as the body the provider wraps; our text part where the
    provider takes one; the preheader where it has a field; nothing sent."""
    settings = any_provider.settings(make_settings)
    rendered = make_rendered(write_issue, settings)
    push(rendered, at(), settings, any_provider.provider(make_settings))
    from mailer.sync import draft_of

    draft = draft_of(rendered)
    (item,) = any_provider.fake.live()
    got = any_provider.fake.received(item)
    assert 'href="https://x.example"' in got.html and "Hello" in got.html
    assert got.text is None or got.text.replace('{{"{{"}}', "{{") == draft.text
    assert got.preheader in ("Pre", "")
    assert any_provider.cls.language.unsubscribe_tag in draft.html  # our footer carries its tag
    assert any_provider.fake.sent_to_list == []


def test_extra_fields_never_send_or_schedule(any_provider, make_settings):
    any_provider.options["extra"] = {"status": "about_to_send"}
    settings = any_provider.settings(make_settings)
    from mailer.providers import get_provider

    with pytest.raises(ConfigError, match=r"extra may not set status.*never sends at once"):
        get_provider(settings, any_provider.env)


def test_an_ignored_unschedule_is_noticed(any_provider, make_settings, write_issue):
    settings = any_provider.settings(make_settings)
    provider = any_provider.provider(make_settings)
    rendered = make_rendered(write_issue, settings)
    push(rendered, at(), settings, provider)
    any_provider.fake.ignore_unschedule = True
    with pytest.raises(ProviderError) as caught:
        push(rendered, Target("draft"), settings, any_provider.provider(make_settings))
    text = str(caught.value)
    assert "did not take the change to 'week-1'" in text and "asked for draft" in text
    assert "read back" in text
    # nothing pretended: the email is still scheduled, and the run said so
    assert any_provider.provider(make_settings).find("week-1").state == "scheduled"


@pytest.mark.parametrize("seed", range(5))
def test_any_sequence_of_syncs_with_faults_keeps_the_guarantees(
    seed, any_provider, tmp_path, make_settings
):
    """Random edits, deliveries, web-app edits and faults between runs, for each provider: at
    most one live email per issue, a sent email never modified, nothing sent except at the
    time its file said, and a run after the faults stop repairs everything and then writes
    nothing."""
    rng = random.Random(seed)
    folder = tmp_path / "issues"
    folder.mkdir()
    base = datetime.now(UTC) + timedelta(days=2)
    keys = [f"issue-{n}" for n in range(3)]

    def write(key, when, draft=False, body="v0"):
        (folder / f"{key}.md").write_text(
            f"---\ntitle: {key}\nsubtitle: S\ndate: {when.date()}\nsend_at: {when.isoformat()}\n"
            f"slug: {key}\ndraft: {str(draft).lower()}\n---\n{body}\n"
        )

    for n, key in enumerate(keys):
        write(key, base + timedelta(days=n, hours=n))
    fake = any_provider.fake
    scheduled: set[str] = set()

    def run():
        settings = any_provider.settings(make_settings)
        return sync([folder], settings, any_provider.provider(make_settings))

    for _ in range(6):
        for key in keys:
            roll = rng.random()
            if roll < 0.15 and (folder / f"{key}.md").exists():
                (folder / f"{key}.md").unlink()
            elif roll < 0.55:
                write(
                    key,
                    base + timedelta(days=rng.randint(0, 4), minutes=rng.randint(0, 59)),
                    draft=rng.random() < 0.3,
                    body=f"v{rng.randint(0, 3)}",
                )
        for _ in range(rng.randint(0, 3)):
            method, path = rng.choice([fake.list_call, fake.create_call, fake.update_call])
            kind = rng.choice(["503", "drop-after", "drop-before", "html", "truncated"])
            if kind == "503":
                fake.fail_next(method, path, 503, {"detail": "unavailable"})
            elif kind == "html":
                fake.fail_next(
                    method, path, 200, b"<html>Gateway</html>", {"Content-Type": "text/html"}
                )
            elif kind == "truncated":
                fake.fail_next(
                    method, path, 200, b'{"id": "em_', {"Content-Type": "application/json"}
                )
            else:
                fake.drop_next(method, path, after=kind == "drop-after")
        if rng.random() < 0.3 and fake.live():
            item = rng.choice(fake.live())
            fake.edit_in_web_app(str(item["id"]))
        try:
            report = run()
        except ProviderError as exc:  # an unknown outcome may end a run; the next one recovers
            assert any_provider.key not in str(exc)
        else:
            pending = list(fake.faults)  # this look of the test's own must not take sync's faults
            fake.faults.clear()
            assert not any(r.conflict for r in any_provider.provider(make_settings).emails())
            fake.faults.extend(pending)
            del report
        scheduled |= set(fake.scheduled_ids())
        if rng.random() < 0.3:
            fake.deliver_due(datetime.now(UTC) + timedelta(days=rng.randint(0, 6)))
        for key in keys:
            assert len([e for e in fake.by_key(key) if e in fake.live()]) <= 1, f"two for {key}"
        assert fake.refused_edits_of_sent == []
        assert set(fake.sent_to_list) <= scheduled
    fake.faults.clear()
    first = run()
    assert not any(o.failed for o in first.outcomes), first.outcomes
    writes = len(any_provider.server.writes())
    quiet = run()
    assert len(any_provider.server.writes()) == writes, [s.action for s in quiet.steps]
