"""A stateful fake of Kit's v4 broadcasts API, as its reference describes it.

``X-Kit-Api-Key``; ``{"errors": [...]}``; ``send_at: null`` is a draft, a future time
schedules, and Kit sends at that time (a sent broadcast keeps its past ``send_at``); cursor
pagination; 429 as plain text without Retry-After (inject it with ``rate_limit_next``).
"""

from __future__ import annotations

import base64
import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fakes.api import FakeApi, parse_time
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

    def deliver_due(self, now: datetime) -> None:
        for b in self.broadcasts.values():
            if not b.get("sent") and b["send_at"] and parse_time(b["send_at"]) <= now:
                b["sent"] = True  # Kit sent it: its send_at is now in the past
                b["send_at"] = (datetime.now(UTC) - timedelta(seconds=1)).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                )
                self.sent_to_list.append(str(b["id"]))

    def handle(self, request: Request) -> Reply:
        if request.headers.get("x-kit-api-key") != API_KEY:
            return _errors(401, "The access token is invalid")
        path, body = request.path, request.json
        if path == "/v4/broadcasts" and request.method == "POST":
            problem = self._validate(body)
            if problem:
                return problem
            bid = next(self._ids)
            self.broadcasts[bid] = {
                "id": bid,
                "publication_id": 1000 + bid,
                "created_at": _now(),
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
            return Reply(201, {"broadcast": self.broadcasts[bid]})
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
            if b.get("sent"):
                self.refused_edits_of_sent.append(str(b["id"]))
                return _errors(422, "A sent broadcast cannot be changed")
            problem = self._validate(body)
            if problem:
                return problem
            b.update(body)
            return Reply(200, {"broadcast": b})
        return _errors(405, "Method Not Allowed")

    def _validate(self, body: Any) -> Reply | None:
        if not isinstance(body, dict):
            return _errors(422, "Body must be a JSON object")
        unknown = set(body) - FIELDS
        if unknown:
            return _errors(422, f"Unknown parameters: {', '.join(sorted(unknown))}")
        send_at = body.get("send_at")
        if send_at is not None and parse_time(send_at) <= datetime.now(UTC):
            return _errors(422, "Send at must be in the future")
        return None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
