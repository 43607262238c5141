"""Kit (formerly ConvertKit) API v4 broadcasts: translation and endpoints only.

Quirks this module exists for, from Kit's API reference (developers.kit.com/api-reference):
- ``broadcasts/create-a-broadcast``: ``send_at: null`` saves a draft. ``broadcasts/update-a-
  broadcast``: "To save a draft, set ``public`` to false. To schedule the broadcast for sending,
  set ``public`` to true and provide ``send_at``." So a draft here is ``public: false`` with no
  send time, and a scheduled broadcast is ``public: true`` (Kit also shows it in the
  newsletter feed of your Creator Profile) with ``send_at``. Unscheduling is ``public: false``;
  the update schema does not allow ``send_at: null``.
- A broadcast's ``status`` (``draft``, ``scheduled``, ``sending``, ``completed``, ``aborted``)
  says where it is; a send time in the past is not taken to mean "sent".
- No metadata: the marker lives in ``description`` (an internal note, editable in the web app)
  and in a comment at the end of ``content``. A listing returns both.
- Cursor pagination (``after`` / ``pagination.end_cursor``).
- 429 comes with a plain-text body and no Retry-After: the shared client backs off.
- No field for our plain-text part (Kit makes its own) and no test-send endpoint: both are
  said, not silently dropped.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any, ClassVar

from mailer.core.errors import UnsupportedFeature
from mailer.core.provider_facts import ProviderFacts, declared
from mailer.providers.base import (
    DUPLICATE_MARK,
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

PER_PAGE = 500
_STATES: dict[str, State] = {"draft": "draft", "scheduled": "scheduled"}


class KitProvider(Provider):
    facts: ClassVar[ProviderFacts] = declared("kit")  # kit.toml
    default_base_url: ClassVar[str] = "https://api.kit.com/v4"
    # 120 requests per 60 s per API key (docs: "Rate limits"): one at a time is already faster
    # than that allows, so sync writes one issue at a time
    concurrency: ClassVar[int] = 1
    cannot: ClassVar[tuple[str, ...]] = (
        "take our plain-text part (Kit writes its own from the HTML)",
        "schedule a broadcast without publishing it to your Creator Profile feed "
        "(its API schedules only with public: true)",
    )
    can_test_send: ClassVar[bool] = False
    extra_fields: ClassVar[frozenset[str]] = frozenset(
        {
            "email_template_id",
            "email_address",
            "subscriber_filter",
            "thumbnail_url",
            "thumbnail_alt",
        }
    )

    @staticmethod
    def auth_headers(api_key: str) -> dict[str, str]:
        return {"X-Kit-Api-Key": api_key}

    # -- reading ---------------------------------------------------------------------------------

    def list_emails(self) -> list[RemoteEmail]:
        emails: list[RemoteEmail] = []
        params: dict[str, Any] = {"per_page": PER_PAGE}
        while True:
            page = self.http.json_object("GET", "/broadcasts", params=params)
            batch = page.get("broadcasts")
            if not isinstance(batch, list):
                raise self.malformed("a page of broadcasts without broadcasts")
            emails.extend(self._remote(item) for item in batch)
            paging = page.get("pagination")
            paging = paging if isinstance(paging, dict) else {}
            cursor = paging.get("end_cursor")
            if not paging.get("has_next_page") or not isinstance(cursor, str) or not cursor:
                return emails
            params = {"per_page": PER_PAGE, "after": cursor}

    def get(self, remote_id: str) -> RemoteEmail:
        return self._remote(
            self.http.json_object("GET", f"/broadcasts/{remote_id}", inside="broadcast")
        )

    # -- writing ---------------------------------------------------------------------------------

    def create(self, draft: Draft) -> RemoteEmail:
        body = {**self._broadcast(draft), "public": False, "send_at": None}
        return self._remote(
            self.http.json_object("POST", "/broadcasts", json=body, inside="broadcast")
        )

    def update(
        self, remote: RemoteEmail, draft: Draft, target: Target, *, content: bool = True
    ) -> None:
        body = self._broadcast(draft)
        if target.state == "scheduled":
            assert target.at is not None
            body.update(
                {
                    "public": True,
                    "send_at": target.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            )
        else:
            body["public"] = False
        self.http.json_object("PUT", f"/broadcasts/{remote.id}", json=body, inside="broadcast")

    def unschedule(self, remote: RemoteEmail) -> None:
        self.http.json_object(
            "PUT", f"/broadcasts/{remote.id}", json={"public": False}, inside="broadcast"
        )

    def release(self, remote: RemoteEmail, key: str) -> None:
        self.http.json_object(
            "PUT",
            f"/broadcasts/{remote.id}",
            json={"public": False, "description": f"{DUPLICATE_MARK}{key}"},
            inside="broadcast",
        )

    def send_test(self, remote: RemoteEmail, recipients: list[str]) -> None:
        raise UnsupportedFeature(
            self.display_name, "has no test-send endpoint", hint="use mailer test-send --via smtp"
        )

    # -- translation -----------------------------------------------------------------------------

    def _broadcast(self, draft: Draft) -> dict[str, Any]:
        return {
            **self.extra,
            "subject": draft.subject,
            "content": draft.html + content_marker(draft),
            "preview_text": draft.preheader,
            "description": draft.marker,
        }

    def _remote(self, item: dict[str, Any]) -> RemoteEmail:
        if not isinstance(item, dict):
            raise self.malformed("a broadcast that is not an object")
        note = str(item.get("description") or "")
        content = item.get("content")
        in_content = read_content_marker(content) if isinstance(content, str) else None
        duplicate = note[len(DUPLICATE_MARK) :] if note.startswith(DUPLICATE_MARK) else None
        if duplicate is not None:
            who = Identity()
        else:
            who = identify(
                read_marker(note),
                read_marker(in_content) if in_content else None,
                where=("internal note", "content"),
            )
        status = str(item.get("status") or "")
        state = _STATES.get(status, "sent")  # sending, completed, aborted, or unknown
        return RemoteEmail(
            id=self._stamp(item, "a broadcast"),
            key=who.key,
            state=state,
            status=status or "unknown",
            content_hash=who.content_hash,
            publish_at=parse_time(item.get("send_at")) if state == "scheduled" else None,
            created=parse_time(item.get("created_at")),
            subject=str(item.get("subject") or ""),
            url=str(item.get("public_url") or ""),
            conflict=who.conflict,
            claims=who.claims,
            repair=who.repair,
            duplicate_of=duplicate,
        )
