"""Kit (formerly ConvertKit) API v4 broadcasts: translation and endpoints only.

Quirks this module exists for (Kit's API reference; see PROVIDERS.md):
- ``send_at: null`` makes a draft; a time schedules it; Kit sends at that time. There is no
  status field: a broadcast whose send time has passed counts as sent.
- No metadata: the issue key and content hash live in ``description`` (an internal note) as
  ``mailer:<key>#<hash>``.
- Cursor pagination (``after`` / ``pagination.end_cursor``).
- 429 comes with a plain-text body and no Retry-After: the shared client backs off.
- No field for our plain-text part (Kit makes its own) and no test-send endpoint: both are
  said, not silently dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from mailer.errors import UnsupportedFeature
from mailer.providers.base import Draft, Provider, RemoteEmail, State, Target, parse_time

NOTE_PREFIX = "mailer:"
PER_PAGE = 500


class KitProvider(Provider):
    name: ClassVar[str] = "kit"
    display_name: ClassVar[str] = "Kit"
    api_key_env: ClassVar[tuple[str, ...]] = ("MAILER_KIT_API_KEY", "KIT_API_KEY")
    base_url_env: ClassVar[str] = "MAILER_KIT_BASE_URL"
    default_base_url: ClassVar[str] = "https://api.kit.com/v4"
    cannot: ClassVar[tuple[str, ...]] = (
        "take our plain-text part (Kit writes its own from the HTML)",
    )

    @staticmethod
    def auth_headers(api_key: str) -> dict[str, str]:
        return {"X-Kit-Api-Key": api_key}

    def list_emails(self) -> list[RemoteEmail]:
        emails: list[RemoteEmail] = []
        params: dict[str, Any] = {"per_page": PER_PAGE}
        while True:
            page = self.http.request("GET", "/broadcasts", params=params).json()
            emails.extend(self._remote(item) for item in page.get("broadcasts", []))
            paging = page.get("pagination") or {}
            if not paging.get("has_next_page") or not paging.get("end_cursor"):
                return emails
            params = {"per_page": PER_PAGE, "after": paging["end_cursor"]}

    def create(self, draft: Draft, target: Target) -> RemoteEmail:
        item = self.http.request("POST", "/broadcasts", json=self._broadcast(draft, target))
        return self._remote(item.json()["broadcast"])

    def update(self, remote: RemoteEmail, draft: Draft, target: Target) -> RemoteEmail:
        item = self.http.request(
            "PUT", f"/broadcasts/{remote.id}", json=self._broadcast(draft, target)
        )
        return self._remote(item.json()["broadcast"])

    def unschedule(self, remote: RemoteEmail) -> RemoteEmail:
        item = self.http.request("PUT", f"/broadcasts/{remote.id}", json={"send_at": None})
        return self._remote(item.json()["broadcast"])

    def send_test(self, remote: RemoteEmail, recipients: list[str]) -> None:
        raise UnsupportedFeature(
            self.display_name, "has no test-send endpoint", hint="use mailer test-send --via smtp"
        )

    def _broadcast(self, draft: Draft, target: Target) -> dict[str, Any]:
        return {
            "subject": draft.subject,
            "content": draft.html,
            "preview_text": draft.preheader,
            "description": f"{NOTE_PREFIX}{draft.key}#{draft.content_hash}",
            "public": False,
            "send_at": (
                target.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                if target.state == "scheduled" and target.at
                else None
            ),
        }

    def _remote(self, item: dict[str, Any]) -> RemoteEmail:
        note = str(item.get("description") or "")
        key = content_hash = None
        if note.startswith(NOTE_PREFIX):
            key, _, content_hash = note[len(NOTE_PREFIX) :].partition("#")
        send_at = parse_time(item.get("send_at"))
        state: State = "draft"
        if send_at is not None:
            state = "scheduled" if send_at > datetime.now(UTC) else "sent"
        return RemoteEmail(
            id=str(item["id"]),
            key=key or None,
            state=state,
            status=state,
            content_hash=content_hash or None,
            publish_at=send_at,
            url=str(item.get("public_url") or ""),
            managed=key is not None,
        )
