"""The Buttondown provider against a stateful fake Buttondown on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes.buttondown import API_KEY, load_spec

from mailer.core.errors import ConfigError, ProviderAuthError, ProviderError, ProviderUnavailable
from mailer.issue.load import load_issue
from mailer.providers import Target, get_provider
from mailer.render.pipeline import render_issue
from mailer.sync import draft_of, push

SOON = datetime.now(UTC) + timedelta(days=3)


@pytest.fixture
def draft(write_issue, make_settings):
    def make(body="Hello [world](https://x.example).", slug="week-1", **front):
        extra = "".join(f"{k}: {v}\n" for k, v in front.items())
        path = write_issue(
            f"---\ntitle: Week 1\nsubtitle: Pre\ndate: {SOON.date()}\nslug: {slug}\n"
            f"{extra}---\n{body}\n",
            name=f"{slug}.md",
        )
        settings = make_settings()
        return render_issue(load_issue(path, settings), settings)

    return make


def send(provider, rendered, target):
    """Push one rendered issue the way `mailer push` does (sync's plan, every write read back)."""
    from mailer.core.config import load_settings

    return push(rendered, target, load_settings(None, env={}, cwd=Path("/")), provider)


def scheduled():
    return Target("scheduled", SOON.replace(microsecond=0))


def test_what_an_email_holds(provider, buttondown, draft):
    rendered = draft()
    send(provider, rendered, scheduled())
    (email,) = buttondown.emails.values()
    assert email["body"].endswith(draft_of(rendered).html)
    assert email["metadata"]["mailer_key"] == "week-1"


def test_create_sends_an_explicit_status_and_our_key(provider, buttondown, draft):
    result = send(provider, draft(), scheduled())
    assert result.action == "created" and result.state == "scheduled"
    request = buttondown.server.calls("POST", "/emails")[0]
    body = request.json
    # created as a draft, never with Buttondown's default (which sends at once)...
    assert body["status"] == "draft" and "publish_date" not in body
    assert body["slug"] == "week-1" and body["metadata"]["mailer_key"] == "week-1"
    # ...and scheduled only once the run has counted it as the issue's one email
    (schedule,) = buttondown.server.calls("PATCH", f"/emails/{result.remote_id}")
    assert schedule.json["status"] == "scheduled" and schedule.json["publish_date"].endswith("Z")
    assert body["body"].startswith("<!-- buttondown-editor-mode: fancy -->\n<!DOCTYPE html>")
    assert "{{ unsubscribe_url }}" in body["body"] and body["template"] == "naked"
    assert body["description"] == "Pre"
    assert request.headers["authorization"] == f"Token {API_KEY}"
    assert request.headers["x-api-version"] == "2026-04-01"
    assert request.headers["x-idempotency-key"].startswith("mailer-week-1-")
    assert buttondown.sent_to_list == []


def test_push_twice_is_one_email_and_no_second_write(provider, buttondown, draft):
    send(provider, draft(), scheduled())
    writes = len(buttondown.server.writes())
    again = send(get_provider(provider_settings(provider), env(buttondown)), draft(), scheduled())
    assert again.action == "unchanged"
    assert len(buttondown.server.writes()) == writes and len(buttondown.emails) == 1


def provider_settings(provider):
    from mailer.core.config import load_settings

    return load_settings(None, env={}, cwd=__import__("pathlib").Path("/"))


def env(fake):
    return {"MAILER_BUTTONDOWN_API_KEY": API_KEY, "MAILER_BUTTONDOWN_BASE_URL": fake.url}


def test_changed_content_is_one_patch_of_the_same_email(provider, buttondown, draft):
    first = send(provider, draft(), scheduled())
    before = len(buttondown.server.writes())
    second = send(provider, draft(body="Changed."), scheduled())
    assert second.action == "updated" and second.remote_id == first.remote_id
    (patch,) = buttondown.server.writes()[before:]
    assert (patch.method, patch.path) == ("PATCH", f"/emails/{first.remote_id}")
    assert "Changed." in buttondown.emails[first.remote_id]["body"]


def test_default_templates_get_the_body_only(buttondown, buttondown_env, make_settings, draft):
    settings = make_settings(provider_options={"buttondown": {"template": "modern"}})
    send(get_provider(settings, buttondown_env), draft(), Target("draft"))
    body = buttondown.server.calls("POST", "/emails")[0].json
    assert body["template"] == "modern" and "<!DOCTYPE" not in body["body"]
    assert body["body"].startswith("<!-- buttondown-editor-mode: fancy -->\n<p>Hello")


@pytest.mark.parametrize("after", [True, False], ids=["committed-then-lost", "lost-before"])
def test_a_lost_create_response_never_makes_a_second_email(provider, buttondown, draft, after):
    buttondown.drop_next("POST", "/emails", after=after)
    result = send(provider, draft(), scheduled())
    assert result.action == "created"
    assert len(buttondown.by_key("week-1")) == 1
    # it looked again before creating again
    methods = [(r.method, r.path) for r in buttondown.server.requests]
    assert methods.index(("GET", "/emails"), 1) > methods.index(("POST", "/emails"))


def test_server_errors_on_create_look_before_retrying(provider, buttondown, draft):
    buttondown.fail_next("POST", "/emails", 502, {"detail": "Bad gateway"})
    send(provider, draft(), scheduled())
    assert len(buttondown.by_key("week-1")) == 1
    assert len(buttondown.server.calls("POST", "/emails")) == 2


def test_a_timeout_is_retried(provider, buttondown, draft):
    provider.http.timeout = 0.3
    buttondown.slow_next("GET", "/emails", 1.0)
    send(provider, draft(), scheduled())
    assert len(buttondown.by_key("week-1")) == 1


def test_rate_limits_honour_retry_after(provider, buttondown, draft, waits):
    buttondown.fail_next("GET", "/emails", 429, {"detail": "Slow down"}, {"Retry-After": "7"})
    send(provider, draft(), scheduled())
    assert 7.0 in waits


def test_persistent_server_errors_give_up_clearly(provider, buttondown, draft, waits):
    for _ in range(4):
        buttondown.fail_next("GET", "/emails", 503, {"detail": "Down for maintenance"})
    with pytest.raises(ProviderUnavailable) as caught:
        send(provider, draft(), scheduled())
    assert "Buttondown did not answer usefully: HTTP 503" in str(caught.value)
    assert waits == [0.5, 1.0, 2.0] and buttondown.emails == {}


def test_pages_are_followed(provider, buttondown, draft):
    for n in range(7):
        buttondown.add(subject=f"Old {n}", slug=f"old-{n}", status="sent")
    buttondown.add(
        subject="Mine",
        slug="week-1",
        status="draft",
        metadata={"mailer_key": "week-1", "mailer_hash": "stale"},
    )
    assert send(provider, draft(), Target("draft")).action == "updated"
    assert len(buttondown.server.calls("GET", "/emails")) == 4  # 8 emails, 2 a page
    assert len(buttondown.emails) == 8


def test_a_sent_email_is_never_changed(provider, buttondown, draft):
    buttondown.add(
        subject="Week 1",
        slug="week-1",
        status="sent",
        metadata={"mailer_key": "week-1", "mailer_hash": "old"},
    )
    with pytest.raises(ProviderError, match="already sent"):
        send(provider, draft(), scheduled())
    assert buttondown.server.writes() == [] and buttondown.refused_edits_of_sent == []


def unschedule(provider, remote):
    from mailer.sync import Step, apply

    (outcome,) = apply([Step(remote.key, "unschedule", "", remote=remote)], provider)
    return outcome


def test_unschedule_and_test_send(provider, buttondown, draft):
    result = send(provider, draft(), scheduled())
    remote = provider.find("week-1", refresh=True)
    assert unschedule(provider, remote).result == "unscheduled"
    (patch,) = buttondown.server.calls("PATCH", f"/emails/{remote.id}")[-1:]
    assert patch.json == {"status": "draft", "publish_date": "none"}
    email = buttondown.emails[result.remote_id]
    assert email["status"] == "draft" and email["publish_date"] is None
    provider.send_test(provider.find("week-1", refresh=True), ["me@example.org"])
    assert buttondown.test_sends == [(result.remote_id, ["me@example.org"])]
    assert buttondown.sent_to_list == []


def test_a_hand_made_email_with_our_slug_is_never_taken_over(provider, buttondown, draft):
    made = buttondown.add(subject="Someone else's", slug="week-1", status="draft")
    assert provider.find("week-1") is None  # our slug, but not our marker: not ours
    with pytest.raises(ProviderError) as caught:
        send(provider, draft(), scheduled())
    # Buttondown's own words, and the hand-made email untouched
    assert "Buttondown rejected the request (HTTP 400 slug_invalid): The slug 'week-1'" in str(
        caught.value
    )
    assert buttondown.emails == {made["id"]: made} and made["status"] == "draft"
    assert made["subject"] == "Someone else's" and made["metadata"] == {}


def test_bad_key_names_the_variable_and_never_shows_the_key(buttondown, make_settings, draft):
    wrong = "bd-wrong-key-SECRET-999"
    bad = get_provider(
        make_settings(),
        {"MAILER_BUTTONDOWN_API_KEY": wrong, "MAILER_BUTTONDOWN_BASE_URL": buttondown.url},
    )
    with pytest.raises(ProviderAuthError) as caught:
        send(bad, draft(), scheduled())
    text = str(caught.value)
    assert "HTTP 401 authentication_invalid" in text and "MAILER_BUTTONDOWN_API_KEY" in text
    assert wrong not in text and wrong not in repr(caught.value.__dict__)


def test_missing_key_and_alternative_variable(buttondown, make_settings):
    with pytest.raises(
        ConfigError, match="No API key for Buttondown: set MAILER_BUTTONDOWN_API_KEY"
    ):
        get_provider(make_settings(), {})
    provider = get_provider(
        make_settings(),
        {"BUTTONDOWN_API_KEY": API_KEY, "MAILER_BUTTONDOWN_BASE_URL": buttondown.url},
    )
    assert provider.emails() == []


@pytest.mark.parametrize("fault", ["401", "500", "timeout"])
def test_a_failed_push_never_prints_the_key(fault, buttondown, tmp_path):
    secret = API_KEY if fault != "401" else "bd-SECRET-wrong-key-42"
    for _ in range(4):
        if fault == "500":
            buttondown.fail_next("GET", "/emails", 500, {"detail": "Internal error"})
        elif fault == "timeout":
            buttondown.slow_next("GET", "/emails", 2)
    issue = tmp_path / "i.md"
    issue.write_text(f"---\ntitle: T\nsubtitle: S\ndate: {SOON.date()}\n---\nBody\n")
    env_vars = {
        "MAILER_BUTTONDOWN_API_KEY": secret,
        "MAILER_BUTTONDOWN_BASE_URL": buttondown.url,
        "PATH": "/usr/bin:/bin",
        "MAILER_HTTP_TIMEOUT": "0.3",
    }
    result = subprocess.run(
        [sys.executable, "-m", "mailer", "--debug", "push", str(issue)],
        capture_output=True,
        text=True,
        env=env_vars,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode != 0
    assert secret not in result.stdout + result.stderr
    assert "Buttondown" in result.stderr


def test_every_request_body_matches_the_spec(provider, buttondown, draft):
    spec = load_spec()
    if spec is None:
        pytest.skip("../shared/provider-specs/buttondown/openapi.json is not present")
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource(
        "urn:buttondown", Resource.from_contents(spec, default_specification=DRAFT202012)
    )

    def validator(name):
        return Draft202012Validator(
            {"$ref": f"urn:buttondown#/components/schemas/{name}"}, registry=registry
        )

    send(provider, draft(), scheduled())
    send(provider, draft(body="Changed"), scheduled())
    send(provider, draft(body="Changed"), Target("draft"))
    remote = provider.find("week-1", refresh=True)
    send(provider, draft(body="Again"), scheduled())
    unschedule(provider, provider.find("week-1", refresh=True))
    provider.send_test(remote, ["me@example.org"])
    from mailer.sync import Step, apply

    apply([Step("week-1", "release", "", remote=provider.find("week-1", refresh=True))], provider)
    schemas = {
        "POST /emails": "EmailInput",
        "PATCH": "EmailUpdateInput",
        "POST send-draft": "SendDraftInput",
    }
    checked = 0
    for request in buttondown.server.writes():
        kind = (
            "POST send-draft"
            if request.path.endswith("/send-draft")
            else "POST /emails"
            if request.method == "POST"
            else request.method
        )
        errors = list(validator(schemas[kind]).iter_errors(request.json))
        assert not errors, f"{kind}: {[e.message for e in errors]}"
        checked += 1
    assert checked == 8  # create, schedule, 3 updates, unschedule, test send, release
