"""Mailchimp's own facts, against its fake: the quarter-hour grid, what a campaign holds, the
hash recorded only once the content is in place."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from pushing import SOON, at, make_rendered, served

from mailer.providers import Target
from mailer.sync import draft_of, push


def test_what_a_campaign_holds(make_settings, write_issue):
    with served("mailchimp") as put:
        settings = put.settings(make_settings)
        rendered = make_rendered(write_issue, settings)
        push(rendered, at(), settings, put.provider(make_settings))
        draft = draft_of(rendered)
        (campaign,) = put.fake.campaigns.values()
        assert campaign["content"]["html"].startswith(draft.html)
        assert campaign["content"]["html"].endswith(
            f"<!-- mailer:week-1#{draft.content_hash} -->\n"
        )
        assert campaign["content"]["plain_text"] == draft.text
        assert campaign["settings"]["preview_text"] == "Pre"
        assert campaign["settings"]["title"].startswith(f"mailer:week-1#{draft.content_hash[:32]}@")
        assert "*|UNSUB|*" in draft.html and campaign["_schedule"].endswith(
            ("00:00+00:00", "15:00+00:00", "30:00+00:00", "45:00+00:00")
        )


def test_mailchimp_rounds_up_to_the_quarter_hour_once(make_settings, write_issue):
    from mailer.providers.mailchimp import MailchimpProvider

    provider = MailchimpProvider.__new__(MailchimpProvider)
    when = datetime(2030, 1, 1, 9, 1, 30, tzinfo=UTC)
    assert provider.normalize(Target("scheduled", when)).at == datetime(
        2030, 1, 1, 9, 15, tzinfo=UTC
    )
    exact = datetime(2030, 1, 1, 9, 30, tzinfo=UTC)
    assert provider.normalize(Target("scheduled", exact)).at == exact


def test_mailchimp_content_lost_half_way_is_repaired(tmp_path):
    """The hash is recorded only once the content is in place: a failed content upload is
    out of date on the next run, never 'up to date' with an empty campaign."""
    with served("mailchimp") as put:
        fake = put.fake
        root = tmp_path / "news"
        (root / "issues").mkdir(parents=True)
        list_id = put.options["list_id"]
        (root / "newsletter.toml").write_text(
            f'[provider]\nname = "mailchimp"\n[provider.mailchimp]\nlist_id = "{list_id}"\n'
        )
        (root / "issues" / "a.md").write_text(
            f"---\ntitle: A\nsubtitle: S\ndate: {SOON.date()}\n"
            f"send_at: {SOON.isoformat()}\n---\nBody\n"
        )
        # every content upload of the first run fails (4 tries in the create, 4 in the repair
        # the same run attempts once it finds its pending draft)
        for _ in range(8):
            fake.fail_next("PUT", "/3.0/campaigns/*", 500, {"detail": "boom"})

        def run():
            return subprocess.run(
                [sys.executable, "-m", "mailer", "sync"],
                cwd=root,
                env={**put.env, "PATH": "/usr/bin:/bin"},
                capture_output=True,
                text=True,
                timeout=120,
            )

        first = run()
        assert first.returncode == 1
        (campaign,) = fake.campaigns.values()
        assert campaign["settings"]["title"].endswith("#pending") and campaign["content"] == {}
        second = run()
        assert second.returncode == 0, second.stdout + second.stderr
        assert "<!-- mailer:a#" in campaign["content"]["html"] and campaign["status"] == "schedule"
        assert len(fake.campaigns) == 1
