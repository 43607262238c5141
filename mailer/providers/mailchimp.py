"""Mailchimp Marketing API v3 (campaigns): translation and endpoints only; the flow is in base.

Quirks this module exists for (Mailchimp's API reference; see PROVIDERS.md):
- The API host carries the key's data centre: a key ending in ``-us21`` talks to
  ``https://us21.api.mailchimp.com/3.0``.
- A campaign is created without content; ``PUT …/content`` sets our HTML and our text part.
- Schedule times must fall on :00, :15, :30 or :45 UTC; ours are rounded *up* (never earlier
  than the editor asked, never into the past).
- A scheduled campaign cannot be edited: it is unscheduled, edited, and scheduled again.
- No metadata: the issue key and content hash live in ``settings.title`` (internal, never shown
  to readers) as ``mailer:<key>#<hash>``.
- No server-side idempotency: the base flow's look-before-retry is all there is.
"""

from __future__ import annotations

import base64
from datetime import UTC, timedelta
from email.utils import parseaddr
from typing import Any, ClassVar

from mailer.errors import ConfigError
from mailer.providers.base import Draft, Provider, RemoteEmail, State, Target, parse_time

TITLE_PREFIX = "mailer:"
_STATES: dict[str, State] = {"save": "draft", "schedule": "scheduled"}
PAGE = 1000  # the API's largest page


class MailchimpProvider(Provider):
    name: ClassVar[str] = "mailchimp"
    display_name: ClassVar[str] = "Mailchimp"
    api_key_env: ClassVar[tuple[str, ...]] = ("MAILER_MAILCHIMP_API_KEY", "MAILCHIMP_API_KEY")
    base_url_env: ClassVar[str] = "MAILER_MAILCHIMP_BASE_URL"
    default_base_url: ClassVar[str] = "https://{dc}.api.mailchimp.com/3.0"

    @staticmethod
    def auth_headers(api_key: str) -> dict[str, str]:
        token = base64.b64encode(f"mailer:{api_key}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    @classmethod
    def base_url(cls, api_key: str, configured: str | None) -> str:
        if configured:
            return configured
        dc = api_key.rpartition("-")[2]
        if not dc or dc == api_key or not dc.isalnum():
            raise ConfigError(
                "MAILER_MAILCHIMP_API_KEY should end in its data centre, like "
                "'…-us21' (or set MAILER_MAILCHIMP_BASE_URL)"
            )
        return cls.default_base_url.format(dc=dc)

    @property
    def list_id(self) -> str:
        list_id = self.options.get("list_id")
        if not list_id:
            raise ConfigError(
                "Mailchimp needs an audience: set list_id under "
                "[provider.mailchimp] in newsletter.toml"
            )
        return str(list_id)

    def normalize(self, target: Target) -> Target:
        if target.state != "scheduled" or target.at is None:
            return target
        at = target.at.astimezone(UTC).replace(second=0, microsecond=0)
        if at < target.at.astimezone(UTC):
            at += timedelta(minutes=1)
        at += timedelta(minutes=-at.minute % 15)  # up to the next quarter hour
        return Target("scheduled", at)

    def list_emails(self) -> list[RemoteEmail]:
        emails: list[RemoteEmail] = []
        offset = 0
        while True:
            page = self.http.request(
                "GET",
                "/campaigns",
                params={
                    "count": PAGE,
                    "offset": offset,
                    "type": "regular",
                    "fields": "total_items,campaigns.id,campaigns.status,campaigns.settings.title,"
                    "campaigns.send_time,campaigns.archive_url",
                },
            ).json()
            batch = page.get("campaigns", [])
            emails.extend(self._remote(item) for item in batch)
            offset += len(batch)
            if not batch or offset >= int(page.get("total_items", 0)):
                return emails

    def create(self, draft: Draft, target: Target) -> RemoteEmail:
        created = self.http.request(
            "POST",
            "/campaigns",
            json={
                "type": "regular",
                "recipients": {"list_id": self.list_id},
                "settings": self._settings(draft),
            },
        ).json()
        remote = self._remote(created)
        # from here on every step is safe to repeat; a failure leaves a draft that the next
        # run finds by its title and completes
        self._content(remote.id, draft)
        if target.state == "scheduled":
            self._schedule(remote.id, target)
        return self._fetch(remote.id)

    def update(self, remote: RemoteEmail, draft: Draft, target: Target) -> RemoteEmail:
        if remote.state == "scheduled":  # Mailchimp refuses to edit a scheduled campaign
            self.http.request(
                "POST", f"/campaigns/{remote.id}/actions/unschedule", safe_to_repeat=True
            )
        self.http.request(
            "PATCH", f"/campaigns/{remote.id}", json={"settings": self._settings(draft)}
        )
        self._content(remote.id, draft)
        if target.state == "scheduled":
            self._schedule(remote.id, target)
        return self._fetch(remote.id)

    def unschedule(self, remote: RemoteEmail) -> RemoteEmail:
        self.http.request("POST", f"/campaigns/{remote.id}/actions/unschedule", safe_to_repeat=True)
        return self._fetch(remote.id)

    def send_test(self, remote: RemoteEmail, recipients: list[str]) -> None:
        self.http.request(
            "POST",
            f"/campaigns/{remote.id}/actions/test",
            json={"test_emails": recipients, "send_type": "html"},
        )

    def _settings(self, draft: Draft) -> dict[str, Any]:
        name, address = parseaddr(str(self.options.get("from", "")))
        settings: dict[str, Any] = {
            "subject_line": draft.subject,
            "preview_text": draft.preheader,
            "title": f"{TITLE_PREFIX}{draft.key}#{draft.content_hash[:32]}",
        }
        if name:
            settings["from_name"] = name
        if address:
            settings["reply_to"] = address
        return settings

    def _content(self, campaign: str, draft: Draft) -> None:
        # both together: an html-only PUT may regenerate the text part (PROVIDERS.md)
        self.http.request(
            "PUT",
            f"/campaigns/{campaign}/content",
            json={"html": draft.html, "plain_text": draft.text},
        )

    def _schedule(self, campaign: str, target: Target) -> None:
        assert target.at is not None
        when = target.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        self.http.request(
            "POST",
            f"/campaigns/{campaign}/actions/schedule",
            json={"schedule_time": when},
            safe_to_repeat=True,
        )

    def _fetch(self, campaign: str) -> RemoteEmail:
        return self._remote(self.http.request("GET", f"/campaigns/{campaign}").json())

    def _remote(self, item: dict[str, Any]) -> RemoteEmail:
        title = str((item.get("settings") or {}).get("title") or "")
        key = content_hash = None
        if title.startswith(TITLE_PREFIX):
            key, _, content_hash = title[len(TITLE_PREFIX) :].partition("#")
        status = str(item.get("status", ""))
        send_time = item.get("send_time")
        return RemoteEmail(
            id=str(item["id"]),
            key=key or None,
            state=_STATES.get(status, "sent"),
            status=status,
            content_hash=content_hash or None,
            publish_at=parse_time(send_time),
            url=str(item.get("archive_url") or ""),
            managed=key is not None,
        )
