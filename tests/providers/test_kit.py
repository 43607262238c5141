"""Kit's own facts, against its fake: drafts and schedules as its reference words them."""

from __future__ import annotations

import textwrap

from pushing import SOON, at, make_rendered, served

from mailer.sync import draft_of, push


def test_what_a_broadcast_holds(make_settings, write_issue):
    with served("kit") as put:
        settings = put.settings(make_settings)
        rendered = make_rendered(write_issue, settings)
        push(rendered, at(), settings, put.provider(make_settings))
        draft = draft_of(rendered)
        (broadcast,) = put.fake.broadcasts.values()
        assert broadcast["content"].startswith(draft.html) and broadcast["preview_text"] == "Pre"
        assert broadcast["public"] is True and broadcast["status"] == "scheduled"
        assert broadcast["description"] == f"mailer:week-1#{draft.content_hash}"


def test_kit_unschedules_as_its_reference_says(tmp_path, make_settings):
    """'To save a draft, set public to false': no send_at: null (its update schema has none)."""
    from mailer.sync import Step, apply

    with served("kit") as put:
        fake, server = put.fake, put.server
        provider = put.provider(make_settings)
        from mailer.issue.load import load_issue
        from mailer.render.pipeline import render_issue
        from mailer.sync import push

        path = tmp_path / "k.md"
        path.write_text(
            textwrap.dedent(f"""\
            ---
            title: K
            subtitle: S
            date: {SOON.date()}
            ---
            Body
            """)
        )
        settings = put.settings(make_settings)
        rendered = render_issue(load_issue(path, settings), settings)
        from mailer.providers import Target

        push(rendered, Target("scheduled", SOON), settings, provider)
        email = provider.find("k", refresh=True)
        (outcome,) = apply([Step("k", "unschedule", "", remote=email)], provider)
        assert outcome.result == "unscheduled", outcome.result
        assert server.requests[-2].json == {"public": False}
        (broadcast,) = fake.broadcasts.values()
        assert broadcast["status"] == "draft"
