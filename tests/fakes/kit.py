"""A stateful fake of Kit's v4 broadcasts API, as its reference describes it.

Pages (developers.kit.com/api-reference/…): ``authentication`` (``X-Kit-Api-Key``),
``response-codes`` and ``upgrading-to-v4`` (errors are ``{"errors": [...]}``), ``rate-limits``
(429 with a plain-text "Retry later" and no Retry-After: ``rate_limit_next``), ``pagination``
(cursors), ``broadcasts/create-a-broadcast`` ("To save a draft, set the send_at field to null";
a ``send_at`` schedules), ``broadcasts/update-a-broadcast`` ("To save a draft, set public to
false. To schedule the broadcast for sending, set public to true and provide send_at"; the
update schema takes no ``send_at: null``), ``broadcasts/get-a-broadcast`` and
``broadcasts/list-broadcasts`` (``status``: draft, scheduled, sending, completed, aborted).

With ``ignore_unschedule``, ``public: false`` is answered 200 and the schedule kept: a server
that does not do what its docs say, which a client must notice by reading back.
"""

from __future__ import annotations

import base64
import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from fakes.api import FakeApi, Received, parse_time
from fakes.server import Reply, Request

API_KEY = "kit_0123456789abcdef0123456789abcdef"
FIELDS = {
    "subject",
    "content",
    "preview_text",
    "description",
    "public",
    "published_at",
    "send_at",
    "email_template_id",
    "email_address",
    "thumbnail_url",
    "thumbnail_alt",
    "subscriber_filter",
}


def _errors(status: int, *messages: str) -> Reply:
    return Reply(status, {"errors": list(messages)})


@dataclass
class FakeKit(FakeApi):
    provider: ClassVar[str] = "kit"
    api_key: ClassVar[str] = API_KEY
    base_path: ClassVar[str] = "/v4"
    rate_limit_wait: ClassVar[float] = 0.5  # no Retry-After: mailer backs off
    broadcasts: dict[int, dict[str, Any]] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    list_call: tuple[str, str] = ("GET", "/v4/broadcasts")
    create_call: tuple[str, str] = ("POST", "/v4/broadcasts")
    update_call: tuple[str, str] = ("PUT", "/v4/broadcasts/*")

    def rate_limit_next(self, method: str, path: str) -> None:
        self.fail_next(method, path, 429, b"Retry later", {"Content-Type": "text/plain"})

    def by_key(self, key: str) -> list[dict[str, Any]]:
        return [
            b
            for b in self.broadcasts.values()
            if str(b.get("description") or "").startswith(f"mailer:{key}#")
        ]

    def live(self) -> list[dict[str, Any]]:
        return [b for b in self.broadcasts.values() if b["status"] in ("draft", "scheduled")]

    def scheduled_ids(self) -> list[str]:
        return [str(b["id"]) for b in self.broadcasts.values() if b["status"] == "scheduled"]

    def received(self, item: dict[str, Any]) -> Received:
        return Received(item["content"], None, item["preview_text"])

    def copy_in_web_app(self, item_id: str) -> dict[str, Any]:
        import copy

        made = copy.deepcopy(self.broadcasts[int(item_id)])
        made.update(id=next(self._ids), status="draft", public=False, send_at=None)
        made["created_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.broadcasts[made["id"]] = made
        return made

    def edit_in_web_app(self, item_id: str) -> None:
        """A person rewrites the internal note (the marker's first place)."""
        self.broadcasts[int(item_id)]["description"] = "Edited by hand"

    def deliver_due(self, now: datetime) -> None:
        for b in self.broadcasts.values():
            if b["status"] == "scheduled" and parse_time(b["send_at"]) <= now:
                b["status"] = "completed"
                self.sent_to_list.append(str(b["id"]))

    def handle(self, request: Request) -> Reply:
        if request.headers.get("x-kit-api-key") != API_KEY:
            return _errors(401, "The access token is invalid")
        path, body = request.path, request.json
        if path == "/v4/broadcasts" and request.method == "POST":
            problem = self._validate(body, creating=True)
            if problem:
                return problem
            bid = next(self._ids)
            broadcast = {
                "id": bid,
                "publication_id": 1000 + bid,
                "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "subject": "",
                "content": "",
                "preview_text": "",
                "description": "",
                "public": False,
                "published_at": None,
                "send_at": None,
                "thumbnail_url": None,
                "public_url": f"https://example.kit.com/posts/{bid}",
                "email_template": None,
                **body,
            }
            broadcast["status"] = "scheduled" if broadcast["send_at"] else "draft"
            self.broadcasts[bid] = broadcast
            return Reply(201, {"broadcast": broadcast})
        if path == "/v4/broadcasts" and request.method == "GET":
            per_page = min(int(request.query.get("per_page", ["500"])[0]), self.page_size)
            after = request.query.get("after", [None])[0]
            ids = sorted(self.broadcasts)
            start = int(base64.b64decode(after).decode()) if after else 0
            chunk = [i for i in ids if i > start][:per_page]
            more = bool(chunk) and chunk[-1] < ids[-1]
            end = base64.b64encode(str(chunk[-1]).encode()).decode() if chunk else None
            return Reply(
                200,
                {
                    "broadcasts": [self.broadcasts[i] for i in chunk],
                    "pagination": {
                        "has_previous_page": bool(after),
                        "has_next_page": more,
                        "start_cursor": None,
                        "end_cursor": end,
                        "per_page": per_page,
                    },
                },
            )
        match = re.fullmatch(r"/v4/broadcasts/(\d+)", path)
        if not match or int(match[1]) not in self.broadcasts:
            return _errors(404, "Not Found")
        b = self.broadcasts[int(match[1])]
        if request.method == "GET":
            return Reply(200, {"broadcast": b})
        if request.method == "PUT":
            if b["status"] not in ("draft", "scheduled"):
                self.refused_edits_of_sent.append(str(b["id"]))
                return _errors(422, "A sent broadcast cannot be changed")
            problem = self._validate(body, creating=False)
            if problem:
                return problem
            was = b["status"]
            b.update(body)
            if body.get("public") is False:
                b["status"] = was if self.ignore_unschedule else "draft"
            elif b.get("public") and b.get("send_at"):
                b["status"] = "scheduled"
            return Reply(200, {"broadcast": b})
        return _errors(405, "Method Not Allowed")

    def _validate(self, body: Any, *, creating: bool) -> Reply | None:
        if not isinstance(body, dict):
            return _errors(422, "Body must be a JSON object")
        unknown = set(body) - FIELDS
        if unknown:
            return _errors(422, f"Unknown parameters: {', '.join(sorted(unknown))}")
        if "send_at" in body and body["send_at"] is None and not creating:
            return _errors(422, "Send at is invalid")  # the update schema: a string, not null
        send_at = body.get("send_at")
        if send_at is not None and (parse_time(send_at) or datetime.min.replace(tzinfo=UTC)) <= (
            datetime.now(UTC)
        ):
            return _errors(422, "Send at must be in the future")
        if "public" in body and not isinstance(body["public"], bool):
            return _errors(422, "Public must be true or false")
        return None
