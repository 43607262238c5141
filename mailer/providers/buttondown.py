"""Buttondown (https://docs.buttondown.com): translation and endpoints only; the flow is in base.

Quirks this module exists for, from Buttondown's API reference and OpenAPI spec:
- Creating an email without a status *sends it at once* (default ``about_to_send``): every
  create here says ``draft`` or ``scheduled``.
- Unknown fields are rejected (422), slugs must be unused, ``publish_date: "none"`` clears a
  schedule, ``X-Idempotency-Key`` makes a retried create return the original.
- There is no metadata filter on ``GET /emails``: all emails are listed (without bodies) and
  matched on ``metadata.mailer_key``.
- The body is wrapped in the newsletter's template unless ``template = "naked"``, which then
  needs ``{{ unsubscribe_url }}`` in the body (our footer has it). The editor-mode comment stops
  Buttondown from re-reading our HTML as Markdown.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any, ClassVar

from mailer.errors import UnsupportedFeature
from mailer.providers.base import Draft, Provider, RemoteEmail, State, Target, parse_time

API_VERSION = "2026-04-01"
EDITOR_MODE = "<!-- buttondown-editor-mode: fancy -->\n"
TEMPLATES = ("naked", "classic", "modern", "plaintext", "custom")
_OPEN = {"draft": "draft", "scheduled": "scheduled"}


class ButtondownProvider(Provider):
    name: ClassVar[str] = "buttondown"
    display_name: ClassVar[str] = "Buttondown"
    api_key_env: ClassVar[tuple[str, ...]] = ("MAILER_BUTTONDOWN_API_KEY", "BUTTONDOWN_API_KEY")
    base_url_env: ClassVar[str] = "MAILER_BUTTONDOWN_BASE_URL"
    default_base_url: ClassVar[str] = "https://api.buttondown.com/v1"
    cannot: ClassVar[tuple[str, ...]] = (
        "take our plain-text part (Buttondown writes its own from the HTML)",
    )

    @staticmethod
    def auth_headers(api_key: str) -> dict[str, str]:
        return {"Authorization": f"Token {api_key}", "X-API-Version": API_VERSION}

    @property
    def template(self) -> str:
        template = str(self.options.get("template", "naked"))
        if template not in TEMPLATES:
            raise UnsupportedFeature(
                self.display_name,
                f"has no template {template!r}",
                hint=f"use one of {', '.join(TEMPLATES)}",
            )
        return template

    def list_emails(self) -> list[RemoteEmail]:
        emails: list[RemoteEmail] = []
        path: str | None = "/emails"
        params: dict[str, Any] | None = {"excluded_fields": "body", "ordering": "-creation_date"}
        while path:
            page = self.http.request("GET", path, params=params).json()
            emails.extend(self._remote(item) for item in page.get("results", []))
            path, params = page.get("next"), None  # `next` carries the query already
        return emails

    def create(self, draft: Draft, target: Target) -> RemoteEmail:
        payload = self._payload(draft, target)
        payload["slug"] = draft.key
        response = self.http.request(
            "POST",
            "/emails",
            json=payload,
            headers={"X-Idempotency-Key": f"mailer-{draft.key}-{draft.content_hash[:24]}"},
        )
        return self._remote(response.json())

    def update(self, remote: RemoteEmail, draft: Draft, target: Target) -> RemoteEmail:
        payload = self._payload(draft, target)
        if target.state == "draft":
            payload["publish_date"] = "none"
        response = self.http.request("PATCH", f"/emails/{remote.id}", json=payload)
        return self._remote(response.json())

    def unschedule(self, remote: RemoteEmail) -> RemoteEmail:
        response = self.http.request(
            "PATCH", f"/emails/{remote.id}", json={"status": "draft", "publish_date": "none"}
        )
        return self._remote(response.json())

    def send_test(self, remote: RemoteEmail, recipients: list[str]) -> None:
        self.http.request(
            "POST", f"/emails/{remote.id}/send-draft", json={"recipients": recipients}
        )

    def _payload(self, draft: Draft, target: Target) -> dict[str, Any]:
        template = self.template
        body = draft.html if template == "naked" else draft.body_html
        payload: dict[str, Any] = {
            "subject": draft.subject,
            "description": draft.preheader,
            "body": EDITOR_MODE + body,
            "status": target.state,
            "template": template,
            "metadata": {
                "mailer_key": draft.key,
                "mailer_hash": draft.content_hash,
                "mailer_source": draft.source.name,
            },
        }
        if target.state == "scheduled":
            assert target.at is not None
            payload["publish_date"] = target.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        extra = self.options.get("extra")
        if isinstance(extra, dict):  # the escape hatch: merged last, as the editor wrote it
            payload.update(extra)
        return payload

    def _remote(self, item: dict[str, Any]) -> RemoteEmail:
        metadata = item.get("metadata") or {}
        status = str(item.get("status", ""))
        state: State = "sent"
        if status in _OPEN:
            state = "scheduled" if status == "scheduled" else "draft"
        publish = item.get("publish_date")
        return RemoteEmail(
            id=str(item["id"]),
            key=metadata.get("mailer_key") or item.get("slug") or None,
            state=state,
            status=status,
            content_hash=metadata.get("mailer_hash"),
            publish_at=parse_time(publish),
            url=str(item.get("absolute_url") or ""),
            managed=bool(metadata.get("mailer_key")),
        )
