"""A stateful fake of Buttondown's email API, behaving as its reference and OpenAPI spec say.

- Authorization: ``Token <key>``; no header → 401 authentication_missing, wrong → 401
  authentication_invalid.
- POST /emails: fields outside the spec's EmailInput → 422; status defaults to
  ``about_to_send``, which here *sends the email to the list at once* (so a client that
  forgets the status fails its test); scheduled needs a future publish_date; slugs are unique;
  ``X-Idempotency-Key`` replays the first answer.
- GET /emails: small pages with an absolute ``next``; ``excluded_fields=body``.
- PATCH /emails/{id}: EmailUpdateInput fields; ``publish_date: "none"`` clears a schedule. The
  reference ("Update an email's properties") sets no rule for sent emails; this fake is
  stricter, so that tests notice: a change to a sent email is refused and recorded, except one
  that sets only ``metadata`` (private to the API, shown to no reader: `mailer import` adopts
  sent emails so), which is kept and recorded apart.
- POST /emails/{id}/send-draft: recipients only.
- Faults, queued per request: any status (429 with Retry-After, 5xx...), DROP before or after
  the request takes effect.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from fakes.api import FakeApi, Received, parse_time
from fakes.server import Reply, Request

SPEC = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "provider-specs"
    / "buttondown"
    / "openapi.json"
)
API_KEY = "bd-test-key-0123456789abcdef"
INPUT_FIELDS = {
    "attachments",
    "publish_date",
    "subject",
    "slug",
    "description",
    "canonical_url",
    "image",
    "body",
    "archival_mode",
    "email_type",
    "status",
    "metadata",
    "secondary_id",
    "filters",
    "template",
    "commenting_mode",
    "related_email_ids",
    "featured",
    "should_trigger_pay_per_email_billing",
}
UPDATE_FIELDS = (INPUT_FIELDS - {"slug"}) | {"slug", "suppression_reason"}
OPEN = {"draft", "scheduled"}


@dataclass
class FakeButtondown(FakeApi):
    provider: ClassVar[str] = "buttondown"
    api_key: ClassVar[str] = API_KEY
    emails: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotent: dict[str, Reply] = field(default_factory=dict)
    metadata_edits_of_sent: list[str] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    list_call: tuple[str, str] = ("GET", "/emails")
    create_call: tuple[str, str] = ("POST", "/emails")
    update_call: tuple[str, str] = ("PATCH", "/emails/*")

    # -- test helpers --------------------------------------------------------------------------

    def deliver_due(self, now: datetime) -> None:
        """What Buttondown's scheduler does: scheduled emails whose time came are sent."""
        for email in self.emails.values():
            if email["status"] == "scheduled" and parse_time(email["publish_date"]) <= now:
                email["status"] = "sent"
                self.sent_to_list.append(email["id"])

    def by_key(self, key: str) -> list[dict[str, Any]]:
        return [
            e for e in self.emails.values() if (e.get("metadata") or {}).get("mailer_key") == key
        ]

    def live(self) -> list[dict[str, Any]]:
        return [e for e in self.emails.values() if e["status"] in OPEN]

    def scheduled_ids(self) -> list[str]:
        return [e["id"] for e in self.emails.values() if e["status"] == "scheduled"]

    def received(self, item: dict[str, Any]) -> Received:
        return Received(item["body"], None, item["description"])

    def copy_in_web_app(self, item_id: str) -> dict[str, Any]:
        original = self.emails[item_id]
        fields = {k: original[k] for k in ("subject", "body", "description", "metadata")}
        return self.add(**fields, slug=f"{original['slug']}-copy", status="draft")

    def edit_in_web_app(self, item_id: str) -> None:
        """A person edits the subject in the web app (metadata is the API's alone)."""
        self.emails[item_id]["subject"] = "Edited by hand"

    def add(self, **fields: Any) -> dict[str, Any]:
        """An email made some other way (by hand in the web app, say)."""
        email = self._new({"subject": "x", "body": "", "status": "draft", **fields})
        return email

    # -- the API ---------------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        auth = request.headers.get("authorization")
        if not auth:
            return _error(401, "authentication_missing", "Please provide an API key.")
        if auth != f"Token {API_KEY}":
            return _error(401, "authentication_invalid", "Invalid token.")
        path = request.path.removeprefix("/v1")
        if path == "/emails" and request.method == "POST":
            key = request.headers.get("x-idempotency-key")
            if key and key in self.idempotent:
                return self.idempotent[key]
            reply = self.create(request.json)
            if key and reply.status < 500:
                self.idempotent[key] = reply
            return reply
        if path == "/emails" and request.method == "GET":
            return self.list(request)
        match = re.fullmatch(r"/emails/([\w-]+)(/send-draft)?", path)
        if match and match[1] in self.emails:
            email = self.emails[match[1]]
            if match[2] and request.method == "POST":
                recipients = (request.json or {}).get("recipients") or []
                self.test_sends.append((email["id"], list(recipients)))
                return Reply(200)
            if request.method == "GET":
                return Reply(200, email)
            if request.method == "PATCH":
                return self.update(email, request.json)
        if match:
            return _error(404, "not_found", "No such email.")
        return Reply(404, {"detail": "Not found."})

    def create(self, body: Any) -> Reply:
        if not isinstance(body, dict):
            return _invalid("model_attributes_type", ["body"], "Input should be an object")
        extra = sorted(set(body) - INPUT_FIELDS)
        if extra:
            return _extra(extra)
        if not body.get("subject"):
            return _invalid("missing", ["body", "subject"], "Field required")
        problem = self._check(body, None)
        if problem:
            return problem
        email = self._new(body)
        if email["status"] == "about_to_send":  # Buttondown's default: it goes out now
            email["status"] = "sent"
            self.sent_to_list.append(email["id"])
        return Reply(201, email)

    def update(self, email: dict[str, Any], body: Any) -> Reply:
        if not isinstance(body, dict):
            return _invalid("model_attributes_type", ["body"], "Input should be an object")
        extra = sorted(set(body) - UPDATE_FIELDS)
        if extra:
            return _extra(extra)
        if email["status"] not in OPEN and set(body) == {"metadata"}:
            self.metadata_edits_of_sent.append(email["id"])
            email["metadata"] = body["metadata"]
            return Reply(200, email)
        if email["status"] not in OPEN:
            self.refused_edits_of_sent.append(email["id"])
            return _error(400, "email_already_sent", "This email has already been sent.")
        problem = self._check(body, email)
        if problem:
            return problem
        if (
            self.ignore_unschedule
            and email["status"] == "scheduled"
            and body.get("status") == "draft"
        ):
            body = {k: v for k, v in body.items() if k not in ("status", "publish_date")}
        for name, value in body.items():
            email[name] = None if (name == "publish_date" and value == "none") else value
        email["modification_date"] = _now()
        if email["status"] == "about_to_send":
            email["status"] = "sent"
            self.sent_to_list.append(email["id"])
        return Reply(200, email)

    def list(self, request: Request) -> Reply:
        page = int(request.query.get("page", ["1"])[0])
        statuses = request.query.get("status")
        excluded = request.query.get("-status", [])
        items = [
            e
            for e in self.emails.values()
            if (not statuses or e["status"] in statuses) and e["status"] not in excluded
        ]
        ordering = request.query.get("ordering", ["creation_date"])[0]
        items.sort(key=lambda e: e["creation_date"], reverse=ordering.startswith("-"))
        chunk = items[(page - 1) * self.page_size : page * self.page_size]
        if "body" in request.query.get("excluded_fields", []):
            chunk = [{k: v for k, v in e.items() if k != "body"} for e in chunk]
        query = "&".join(f"{k}={v}" for k, vs in request.query.items() if k != "page" for v in vs)
        nxt = (
            f"{self.url}/emails?{query}&page={page + 1}"
            if page * self.page_size < len(items)
            else None
        )
        return Reply(
            200,
            {
                "results": chunk,
                "count": len(items),
                "next": nxt,
                "previous": None if page == 1 else f"{self.url}/emails?page={page - 1}",
            },
        )

    def _check(self, body: dict[str, Any], email: dict[str, Any] | None) -> Reply | None:
        slug = body.get("slug")
        taken = any(e.get("slug") == slug and e is not email for e in self.emails.values())
        if slug is not None and (not re.fullmatch(r"[a-zA-Z0-9_-]{1,100}", str(slug)) or taken):
            return _error(400, "slug_invalid", f"The slug '{slug}' is invalid or in use.")
        status = body.get("status", email["status"] if email else "about_to_send")
        publish = body.get("publish_date", email.get("publish_date") if email else None)
        if status == "scheduled":
            if publish in (None, "none"):
                return _error(400, "publish_date_missing", "Scheduled emails need a publish_date.")
            when = parse_time(publish)
            if when is None or when <= datetime.now(UTC):
                return _error(400, "publish_date_invalid", "publish_date must be in the future.")
        if status not in (None, "draft", "scheduled", "about_to_send"):
            return _error(400, "status_invalid", f"Cannot set status {status}.")
        return None

    def _new(self, body: dict[str, Any]) -> dict[str, Any]:
        eid = f"em_{next(self._ids):026d}"
        now = _now()
        email = {
            "id": eid,
            "creation_date": now,
            "modification_date": now,
            "absolute_url": f"https://buttondown.example/archive/{body.get('slug') or eid}",
            "body": body.get("body", ""),
            "canonical_url": body.get("canonical_url", ""),
            "commenting_mode": "enabled",
            "description": body.get("description", ""),
            "archival_mode": "enabled",
            "featured": False,
            "filters": {},
            "image": "",
            "related_email_ids": [],
            "should_trigger_pay_per_email_billing": False,
            "source": "api",
            "status": body.get("status", "about_to_send"),
            "subject": body["subject"],
            "slug": body.get("slug"),
            "metadata": body.get("metadata") or {},
            "publish_date": body.get("publish_date"),
            "template": body.get("template"),
        }
        self.emails[eid] = email
        return email


def _error(status: int, code: str, detail: str) -> Reply:
    return Reply(status, {"code": code, "detail": detail, "metadata": {}})


def _invalid(kind: str, loc: list[str], msg: str) -> Reply:
    """A request-validation error, as Buttondown's API (pydantic) words it."""
    return Reply(422, {"detail": [{"type": kind, "loc": loc, "msg": msg}]})


def _extra(fields: list[str]) -> Reply:
    return Reply(
        422,
        {
            "detail": [
                {
                    "type": "extra_forbidden",
                    "loc": ["body", name],
                    "msg": "Extra inputs are not permitted",
                }
                for name in fields
            ]
        },
    )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def load_spec() -> dict[str, Any] | None:
    return json.loads(SPEC.read_text()) if SPEC.exists() else None
