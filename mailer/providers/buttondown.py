"""Buttondown (https://docs.buttondown.com): translation and endpoints only; the flow is sync's.

Quirks this module exists for, from Buttondown's API reference and OpenAPI spec:
- Creating an email without a status *sends it at once* (default ``about_to_send``): every
  create here says ``draft``; scheduling is a later ``PATCH`` with ``status: scheduled`` and
  ``publish_date`` (docs ``scheduling-emails-via-the-api``), which needs a key with the
  *sending* permission as well as email access (docs ``api-permissions``).
- Unknown fields are rejected (422), slugs must be unused (``slug_invalid``: a second create
  for the same issue fails rather than duplicating), ``publish_date: "none"`` clears a schedule,
  ``X-Idempotency-Key`` makes a retried create return the original.
- ``metadata`` is private to the API: it holds the marker. There is no metadata filter on
  ``GET /emails``, so every email is listed (without bodies, oldest first so pages stay stable
  while others are created) and matched on ``metadata.mailer_key``. An email made in the web
  app with the same slug is not mailer's and is never taken over.
- The body is wrapped in the newsletter's template unless ``template = "naked"``, which then
  needs ``{{ unsubscribe_url }}`` in the body (our footer has it). The editor-mode comment stops
  Buttondown from re-reading our HTML as Markdown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from mailer.core.errors import UnsupportedFeature
from mailer.core.provider_facts import ProviderFacts, declared
from mailer.providers.base import (
    Draft,
    Exported,
    Provider,
    RemoteEmail,
    State,
    Target,
    parse_time,
)

API_VERSION = "2026-04-01"
EDITOR_MODE = "<!-- buttondown-editor-mode: fancy -->\n"
# statuses of an email that can still be changed; everything else is on its way or done
_OPEN: dict[str, State] = {"draft": "draft", "scheduled": "scheduled"}
PLAINTEXT_MODE = "<!-- buttondown-editor-mode: plaintext -->"
# Buttondown guesses a body's format (API reference, Email.body); mailer guesses alike: HTML
# when the body opens with a block element
_HTML_BODY = re.compile(
    r"\s*<(?:p|div|h[1-6]|ul|ol|table|blockquote|figure|section|article|img|br|hr|center)\b",
    re.I,
)


def _body_of(body: str) -> tuple[str, Literal["markdown", "html"]]:
    """A body without its editor-mode comment, and whether it is Markdown or HTML."""
    if body.lstrip().startswith(EDITOR_MODE.strip()):
        return body.lstrip()[len(EDITOR_MODE.strip()) :].lstrip("\n"), "html"
    if body.lstrip().startswith(PLAINTEXT_MODE):
        return body.lstrip()[len(PLAINTEXT_MODE) :].lstrip("\n"), "markdown"
    return body, "html" if _HTML_BODY.match(body) else "markdown"


class ButtondownProvider(Provider):
    facts: ClassVar[ProviderFacts] = declared("buttondown")  # buttondown.toml
    default_base_url: ClassVar[str] = "https://api.buttondown.com/v1"
    # 600 requests a minute (docs: "Rate limits"): one at a time, at a 100–150 ms round trip,
    # already asks 7–10 a second, so sync writes one issue at a time
    concurrency: ClassVar[int] = 1
    cannot: ClassVar[tuple[str, ...]] = (
        "take our plain-text part (Buttondown writes its own from the HTML)",
    )
    # EmailInput fields that neither send, schedule, nor belong to mailer (spec: EmailInput)
    extra_fields: ClassVar[frozenset[str]] = frozenset(
        {
            "canonical_url",
            "image",
            "archival_mode",
            "commenting_mode",
            "email_type",
            "filters",
            "featured",
            "secondary_id",
            "related_email_ids",
            "attachments",
        }
    )

    @staticmethod
    def auth_headers(api_key: str) -> dict[str, str]:
        return {"Authorization": f"Token {api_key}", "X-API-Version": API_VERSION}

    @property
    def template(self) -> str:
        template = str(self.options.get("template", "naked"))
        templates = next(o.choices for o in self.options_schema if o.key == "template")
        if template not in templates:
            raise UnsupportedFeature(
                self.display_name,
                f"has no template {template!r}",
                hint=f"use one of {', '.join(templates)}",
            )
        return template

    def list_emails(self) -> list[RemoteEmail]:
        emails = [self._remote(item) for item in self._pages(excluded_fields="body")]
        return [e for e in emails if e.status != "deleted"]

    def _pages(self, **params: str) -> Iterator[dict[str, Any]]:
        """Every email but deleted ones, all pages, oldest first (pages stay stable while others
        are created); each page's `next` is an absolute address."""
        path: str | None = "/emails"
        query: dict[str, Any] | None = {"ordering": "creation_date", "-status": "deleted", **params}
        while path:
            page = self.http.json_object("GET", path, params=query)
            results = page.get("results")
            if not isinstance(results, list):
                raise self.malformed("a page of emails without results")
            yield from results
            following = page.get("next")
            path, query = (following if isinstance(following, str) else None), None

    def get(self, remote_id: str) -> RemoteEmail:
        return self._remote(self.http.json_object("GET", f"/emails/{remote_id}"))

    def create(self, draft: Draft) -> RemoteEmail:
        payload = self._payload(draft, Target("draft"))
        payload["slug"] = draft.key
        day = datetime.now(UTC).strftime("%Y%m%d")
        item = self.http.json_object(
            "POST",
            "/emails",
            json=payload,
            # a run at the same time with the same content gets the same email back
            headers={"X-Idempotency-Key": f"mailer-{draft.key}-{draft.content_hash[:24]}-{day}"},
        )
        return self._remote(item)

    def update(
        self, remote: RemoteEmail, draft: Draft, target: Target, *, content: bool = True
    ) -> None:
        payload = self._payload(draft, target)
        if target.state == "draft":
            payload["publish_date"] = "none"
        self.http.json_object("PATCH", f"/emails/{remote.id}", json=payload)

    def unschedule(self, remote: RemoteEmail) -> None:
        self.http.json_object(
            "PATCH", f"/emails/{remote.id}", json={"status": "draft", "publish_date": "none"}
        )

    def release(self, remote: RemoteEmail, key: str) -> None:
        self.http.json_object(
            "PATCH",
            f"/emails/{remote.id}",
            json={
                "status": "draft",
                "publish_date": "none",
                "metadata": {"mailer_duplicate_of": key},
            },
        )

    def send_test(self, remote: RemoteEmail, recipients: list[str]) -> None:
        self.http.request(
            "POST", f"/emails/{remote.id}/send-draft", json={"recipients": recipients}
        )

    def export_emails(self) -> list[Exported]:
        """Every email with its body, for `mailer import`."""
        exported: list[Exported] = []
        for item in self._pages():
            remote = self._remote(item)
            if remote.status == "deleted":
                continue
            body, body_format = _body_of(str(item.get("body") or ""))
            description, slug = str(item.get("description") or ""), str(item.get("slug") or "")
            exported.append(Exported(remote, body, body_format, description, slug))
        return exported

    def adopt(self, remote: RemoteEmail, key: str, content_hash: str, source: str) -> None:
        """The marker in the email's private metadata, beside what it already holds: the one
        field of a sent email mailer ever writes (the API reference sets no limit on PATCH;
        metadata is shown to no reader)."""
        current = self.http.json_object("GET", f"/emails/{remote.id}").get("metadata")
        metadata = dict(current) if isinstance(current, dict) else {}
        metadata.update({"mailer_key": key, "mailer_hash": content_hash, "mailer_source": source})
        self.http.json_object("PATCH", f"/emails/{remote.id}", json={"metadata": metadata})

    def _payload(self, draft: Draft, target: Target) -> dict[str, Any]:
        template = self.template
        body = draft.html if template == "naked" else draft.body_html
        payload: dict[str, Any] = {**self.extra}
        payload.update(
            {
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
        )
        if target.state == "scheduled":
            assert target.at is not None
            payload["publish_date"] = target.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return payload

    def _remote(self, item: dict[str, Any]) -> RemoteEmail:
        if not isinstance(item, dict):
            raise self.malformed("an email that is not an object")
        metadata = item.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        key = metadata.get("mailer_key")
        key = key if isinstance(key, str) and key else None
        content_hash = metadata.get("mailer_hash")
        duplicate = metadata.get("mailer_duplicate_of")
        status = str(item.get("status", ""))
        return RemoteEmail(
            id=self._stamp(item, "an email"),
            key=key,
            state=_OPEN.get(status, "sent"),
            status=status,
            content_hash=content_hash if isinstance(content_hash, str) else None,
            publish_at=parse_time(item.get("publish_date")),
            created=parse_time(item.get("creation_date")),
            subject=str(item.get("subject") or ""),
            url=str(item.get("absolute_url") or ""),
            duplicate_of=duplicate if isinstance(duplicate, str) else None,
        )
