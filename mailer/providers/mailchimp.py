"""Mailchimp Marketing API v3 (campaigns): translation and endpoints only; the flow is sync's.

Quirks this module exists for (Mailchimp's API reference; see docs/providers.md):
- The API host carries the key's data centre: a key ending in ``-us21`` talks to
  ``https://us21.api.mailchimp.com/3.0``.
- A campaign is created without content; ``PUT …/content`` sets our HTML and our text part.
- Schedule times must fall on :00, :15, :30 or :45 UTC; ours are rounded *up* (never earlier
  than the editor asked, never into the past).
- A scheduled campaign cannot be edited: it is unscheduled, edited, and scheduled again.
- No metadata. The marker lives in ``settings.title`` (the campaign's name, never shown to
  readers, but editable in the web app) and in a comment at the end of the content. The name
  says ``#pending`` while content is changing and gets the hash last, so a failure half-way
  reads as out of date on the next run. A listing does not show content: live campaigns with
  no marker in their name are read in full before mailer creates anything (``reveal``).
- Statuses (``save``, ``paused``, ``schedule``, ``sending``, ``sent``, ``canceled``,
  ``canceling``, ``archived``): ``save`` and ``paused`` are not going out; only ``schedule``
  is scheduled; the rest are never touched.
- ``send_time`` is documented as "the date and time a campaign was sent", so no documented field
  reads back a schedule: mailer records the time it asked for in the name (``@…Z``), and the
  status ``schedule`` says Mailchimp took it.
- No server-side idempotency: sync's look-before-retry and its count after creating are all
  there is.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any, ClassVar

from mailer.core.errors import ConfigError, ProviderMismatch
from mailer.core.provider_facts import ProviderFacts, declared
from mailer.providers.base import (
    DUPLICATE_MARK,
    MARK,
    Draft,
    Identity,
    Provider,
    RemoteEmail,
    State,
    Target,
    content_marker,
    identify,
    parse_time,
    read_content_marker,
    read_marker,
)

_STATES: dict[str, State] = {"save": "draft", "paused": "draft", "schedule": "scheduled"}
PAGE = 1000  # the API's largest page
HASH_CHARS = 32  # of the content hash, in the campaign name
_TIME = "%Y-%m-%dT%H:%MZ"
_SETTINGS_EXTRA = {"folder_id", "to_name", "auto_footer"}


class MailchimpProvider(Provider):
    facts: ClassVar[ProviderFacts] = declared("mailchimp")  # mailchimp.toml
    default_base_url: ClassVar[str] = "https://{dc}.api.mailchimp.com/3.0"
    # Mailchimp limits each user to 10 simultaneous connections, not a rate (Marketing API,
    # Fundamentals → "API limits"): 3 at a time leaves room for a second run and the account's
    # other integrations
    concurrency: ClassVar[int] = 3
    extra_fields: ClassVar[frozenset[str]] = frozenset({"tracking", "social_card"}) | frozenset(
        _SETTINGS_EXTRA
    )
    listing_shows_markers: ClassVar[bool] = False

    @staticmethod
    def auth_headers(api_key: str) -> dict[str, str]:
        token = base64.b64encode(f"mailer:{api_key}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    @staticmethod
    def secret_parts(api_key: str) -> tuple[str, ...]:
        # "<32 hex digits>-us21": the digits are the secret, the data centre is not
        key, dash, dc = api_key.rpartition("-")
        return (key,) if dash and dc.isalnum() else ()

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

    # -- reading ---------------------------------------------------------------------------------

    def list_emails(self) -> list[RemoteEmail]:
        emails: list[RemoteEmail] = []
        offset = 0
        while True:
            page = self.http.json_object(
                "GET",
                "/campaigns",
                params={
                    "count": PAGE,
                    "offset": offset,
                    "type": "regular",
                    # oldest first: campaigns created meanwhile go to the end, pages stay put
                    "sort_field": "create_time",
                    "sort_dir": "ASC",
                    "fields": "total_items,campaigns.id,campaigns.status,campaigns.create_time,"
                    "campaigns.settings.title,campaigns.settings.subject_line,"
                    "campaigns.archive_url",
                },
            )
            batch = page.get("campaigns")
            if not isinstance(batch, list):
                raise self.malformed("a page of campaigns without campaigns")
            emails.extend(self._remote(item, None) for item in batch)
            offset += len(batch)
            total = page.get("total_items")
            if not batch or not isinstance(total, int) or offset >= total:
                return emails

    def get(self, remote_id: str) -> RemoteEmail:
        item = self.http.json_object("GET", f"/campaigns/{remote_id}")
        content = self.http.json_object("GET", f"/campaigns/{remote_id}/content")
        html = content.get("html")
        return self._remote(item, html if isinstance(html, str) else "")

    # -- writing ---------------------------------------------------------------------------------

    def create(self, draft: Draft) -> RemoteEmail:
        created = self.http.json_object(
            "POST",
            "/campaigns",
            json={
                "type": "regular",
                "recipients": {"list_id": self.list_id},
                "settings": self._settings(draft, f"{MARK}{draft.key}#pending"),
                **self._top_extra(),
            },
        )
        campaign = self._stamp(created, "a campaign")
        # from here on every step is safe to repeat; a failure leaves a pending draft that the
        # next run finds by its name and completes
        self._content(campaign, draft)
        self._title(campaign, self._final_title(draft, Target("draft")))
        return self._remote(created, None)

    def update(
        self, remote: RemoteEmail, draft: Draft, target: Target, *, content: bool = True
    ) -> None:
        if remote.state == "scheduled":  # Mailchimp refuses to edit a scheduled campaign
            self._unschedule(remote.id)
            status = self.http.json_object("GET", f"/campaigns/{remote.id}").get("status")
            if status == "schedule":  # read back: the edits below would be refused anyway
                raise ProviderMismatch(
                    self.display_name,
                    f"did not take the change to {draft.key!r}",
                    detail=f"asked for draft to edit it; read back, {remote.id} is still schedule",
                    hint="nothing else was changed; the next run tries again",
                )
        if content:
            self.http.json_object(
                "PATCH",
                f"/campaigns/{remote.id}",
                json={
                    "settings": self._settings(draft, f"{MARK}{draft.key}#pending"),
                    **self._top_extra(),
                },
            )
            self._content(remote.id, draft)
        # the hash once the content is in place; then the schedule, which ends all edits (a
        # failed schedule reads as a draft that should be scheduled: the next run repairs it)
        self._title(remote.id, self._final_title(draft, target))
        if target.state == "scheduled":
            assert target.at is not None
            self.http.request(
                "POST",
                f"/campaigns/{remote.id}/actions/schedule",
                json={
                    "schedule_time": target.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
                },
                safe_to_repeat=True,
            )

    def unschedule(self, remote: RemoteEmail) -> None:
        self._unschedule(remote.id)

    def release(self, remote: RemoteEmail, key: str) -> None:
        if remote.state == "scheduled":
            self._unschedule(remote.id)
        self._title(remote.id, f"{DUPLICATE_MARK}{key}")

    def send_test(self, remote: RemoteEmail, recipients: list[str]) -> None:
        self.http.request(
            "POST",
            f"/campaigns/{remote.id}/actions/test",
            json={"test_emails": recipients, "send_type": "html"},
        )

    # -- translation -----------------------------------------------------------------------------

    def _settings(self, draft: Draft, title: str) -> dict[str, Any]:
        name, address = parseaddr(self.sender)
        settings: dict[str, Any] = {
            key: value for key, value in self.extra.items() if key in _SETTINGS_EXTRA
        }
        settings.update(
            {"subject_line": draft.subject, "preview_text": draft.preheader, "title": title}
        )
        if name:
            settings["from_name"] = name
        if address:
            settings["reply_to"] = address
        return settings

    def _top_extra(self) -> dict[str, Any]:
        return {key: value for key, value in self.extra.items() if key not in _SETTINGS_EXTRA}

    @staticmethod
    def _final_title(draft: Draft, target: Target) -> str:
        title = f"{MARK}{draft.key}#{draft.content_hash[:HASH_CHARS]}"
        if target.state == "scheduled" and target.at is not None:
            title += "@" + target.at.astimezone(UTC).strftime(_TIME)
        return title

    def _title(self, campaign: str, title: str) -> None:
        self.http.json_object(
            "PATCH", f"/campaigns/{campaign}", json={"settings": {"title": title}}
        )

    def _content(self, campaign: str, draft: Draft) -> None:
        # both together: an html-only PUT may regenerate the text part (docs/providers.md)
        self.http.json_object(
            "PUT",
            f"/campaigns/{campaign}/content",
            json={"html": draft.html + content_marker(draft), "plain_text": draft.text},
        )

    def _unschedule(self, campaign: str) -> None:
        self.http.request("POST", f"/campaigns/{campaign}/actions/unschedule", safe_to_repeat=True)

    def _remote(self, item: dict[str, Any], html: str | None) -> RemoteEmail:
        """A campaign; `html` is its content when it was read (None: a listing)."""
        if not isinstance(item, dict):
            raise self.malformed("a campaign that is not an object")
        settings = item.get("settings")
        settings = settings if isinstance(settings, dict) else {}
        title = str(settings.get("title") or "")
        status = str(item.get("status", ""))
        state = _STATES.get(status, "sent")
        duplicate = title[len(DUPLICATE_MARK) :] if title.startswith(DUPLICATE_MARK) else None
        named, _, when = title.partition("@")
        first = read_marker(named)
        in_content = read_content_marker(html) if html else None
        second = read_marker(in_content) if in_content else None
        if duplicate is not None:
            who = Identity()
        else:
            who = identify(first, second, where=("name", "content"))
        publish_at = None
        if state == "scheduled" and when:
            try:
                publish_at = datetime.strptime(when, _TIME).replace(tzinfo=UTC)
            except ValueError:
                publish_at = None
        return RemoteEmail(
            id=self._stamp(item, "a campaign"),
            key=who.key,
            state=state,
            status=status,
            content_hash=who.content_hash,
            publish_at=publish_at,
            created=parse_time(item.get("create_time")),
            subject=str(settings.get("subject_line") or ""),
            url=str(item.get("archive_url") or ""),
            conflict=who.conflict,
            claims=who.claims,
            repair=who.repair and html is not None,  # a listing does not show content
            duplicate_of=duplicate,
            unmarked=first is None and duplicate is None and html is None,
        )
