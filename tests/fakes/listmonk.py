"""A stateful fake of listmonk's campaign API, as its docs and code behave (see docs/providers.md).

Docs ``docs/docs/content/apis/campaigns.md``; code ``cmd/campaigns.go``,
``internal/core/campaigns.go``, ``models/campaigns.go``, ``queries/campaigns.sql`` (v6.2):
``Authorization: token user:token``; ``{"data": …}`` envelopes and ``{"message": …}`` errors;
``lists`` required on create and update; bodies compiled as Go templates (a stray ``{{`` is a
400); scheduling needs a future ``send_at``; edits only while draft, scheduled or paused;
test sends only to existing subscribers; filtering by ``tag``; ``order_by`` ``created_at``;
``attribs`` (v6) and ``tags`` kept as sent and editable in the web app.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from fakes.api import FakeApi, Received, parse_time
from fakes.server import Reply, Request

API_KEY = "mailer-bot:lm-token-0123456789"
LISTS = {1, 2}
SUBSCRIBERS = {"me@example.org"}
FIELDS = {
    "name",
    "subject",
    "lists",
    "from_email",
    "type",
    "content_type",
    "body",
    "altbody",
    "send_at",
    "messenger",
    "template_id",
    "tags",
    "attribs",
    "headers",
    "archive",
    "archive_template_id",
    "archive_meta",
    "media",
    "subscribers",
}
_ACTION = re.compile(r"\{\{(.*?)\}\}", re.S)
_FUNCS = {
    "UnsubscribeURL",
    "ManageURL",
    "OptinURL",
    "MessageURL",
    "TrackView",
    "TrackLink",
    "Date",
    "L",
    "Safe",
    "if",
    "else",
    "end",
    "range",
    "with",
    "template",
}


def _error(status: int, message: str) -> Reply:
    return Reply(status, {"message": message})


def _compiles(text: str) -> bool:
    """Roughly what Go's template parser accepts from us."""
    rest = _ACTION.sub("", text)
    if "{{" in rest:
        return False
    for inner in _ACTION.findall(text):
        word = inner.strip()
        if not (
            word == '"{{"'
            or word.startswith(".")
            or re.split(r"[\s.(|]", word, maxsplit=1)[0] in _FUNCS
        ):
            return False
    return True


@dataclass
class FakeListmonk(FakeApi):
    provider: ClassVar[str] = "listmonk"
    api_key: ClassVar[str] = API_KEY
    base_path: ClassVar[str] = "/api"
    options: ClassVar[dict[str, Any]] = {"lists": [1]}
    campaigns: dict[int, dict[str, Any]] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    list_call: tuple[str, str] = ("GET", "/api/campaigns")
    create_call: tuple[str, str] = ("POST", "/api/campaigns")
    update_call: tuple[str, str] = ("PUT", "/api/campaigns/*")

    def by_key(self, key: str) -> list[dict[str, Any]]:
        return [c for c in self.campaigns.values() if f"mailer:{key}" in c["tags"]]

    def live(self) -> list[dict[str, Any]]:
        return [c for c in self.campaigns.values() if c["status"] in ("draft", "scheduled")]

    def scheduled_ids(self) -> list[str]:
        return [str(c["id"]) for c in self.campaigns.values() if c["status"] == "scheduled"]

    def received(self, item: dict[str, Any]) -> Received:
        # listmonk has no preheader field: the email's own hidden preheader is in the body
        return Received(item["body"], item["altbody"], "")

    def copy_in_web_app(self, item_id: str) -> dict[str, Any]:
        import copy

        made = copy.deepcopy(self.campaigns[int(item_id)])
        made.update(id=next(self._ids), status="draft", created_at=datetime.now(UTC).isoformat())
        self.campaigns[made["id"]] = made
        return made

    def edit_in_web_app(self, item_id: str) -> None:
        """A person clears the tags (one of the marker's two places)."""
        self.campaigns[int(item_id)]["tags"] = ["hand-edited"]

    def deliver_due(self, now: datetime) -> None:
        for c in self.campaigns.values():
            if c["status"] == "scheduled" and parse_time(c["send_at"]) <= now:
                c["status"] = "finished"
                self.sent_to_list.append(str(c["id"]))

    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"token {API_KEY}":
            return _error(403, "invalid API credentials")
        path, body = request.path, request.json
        if path == "/api/campaigns" and request.method == "POST":
            problem = self._validate(body, None)
            if problem:
                return problem
            cid = next(self._ids)
            now = datetime.now(UTC).isoformat()
            self.campaigns[cid] = {
                "id": cid,
                "uuid": f"uuid-{cid}",
                "status": "draft",
                "created_at": now,
                "updated_at": now,
                "content_type": "richtext",
                "tags": [],
                "attribs": {},
                "template_id": 1,
                "messenger": "email",
                "send_at": None,
                **{k: v for k, v in body.items() if k != "subscribers"},
            }
            return Reply(200, {"data": self.campaigns[cid]})
        if path == "/api/campaigns" and request.method == "GET":
            tags = request.query.get("tag", [])
            items = [c for c in self.campaigns.values() if all(t in c["tags"] for t in tags)]
            if request.query.get("order_by") == ["created_at"]:
                items.sort(key=lambda c: c["created_at"])
                if request.query.get("order", ["ASC"]) == ["DESC"]:
                    items.reverse()
            per_page = min(int(request.query.get("per_page", ["20"])[0]), self.page_size)
            page = int(request.query.get("page", ["1"])[0])
            chunk = items[(page - 1) * per_page : page * per_page]
            if request.query.get("no_body") == ["true"]:
                chunk = [
                    {k: v for k, v in c.items() if k not in ("body", "altbody")} for c in chunk
                ]
            return Reply(
                200,
                {
                    "data": {
                        "results": chunk,
                        "total": len(items),
                        "page": page,
                        "per_page": per_page,
                        "query": "",
                    }
                },
            )
        match = re.fullmatch(r"/api/campaigns/(\d+)(/status|/test)?", path)
        if not match or int(match[1]) not in self.campaigns:
            return _error(404, "campaign not found")
        c, tail = self.campaigns[int(match[1])], match[2] or ""
        if request.method == "GET" and not tail:
            return Reply(200, {"data": c})
        if tail == "/test" and request.method == "POST":
            problem = self._validate(body, c)
            if problem:
                return problem
            recipients = body.get("subscribers") or []
            if not recipients or set(recipients) - SUBSCRIBERS:
                return _error(400, "one or more subscribers not found")
            self.test_sends.append((str(c["id"]), list(recipients)))
            return Reply(200, {"data": True})
        if c["status"] not in ("draft", "scheduled", "paused"):
            self.refused_edits_of_sent.append(str(c["id"]))
            return _error(400, "cannot update campaign in its current state")
        if tail == "/status" and request.method == "PUT":
            status = (body or {}).get("status")
            # internal/core/campaigns.go UpdateCampaignStatus, messages from i18n/en.json
            if status == "scheduled":
                if not c.get("send_at"):
                    return _error(400, "Campaign needs a date to be scheduled.")
                if c["status"] not in ("draft", "paused"):
                    return _error(400, "Only draft or paused campaigns can be scheduled.")
                if parse_time(c["send_at"]) <= datetime.now(UTC):
                    return _error(400, "Scheduled date should be in the future.")
            elif status == "draft":
                if c["status"] != "scheduled":
                    return _error(400, "Only scheduled campaigns can be saved as drafts.")
            elif status == "running":
                self.sent_to_list.append(str(c["id"]))
            else:
                return _error(400, f"invalid status {status}")
            if not (status == "draft" and self.ignore_unschedule):
                c["status"] = status if status != "running" else "finished"
            return Reply(200, {"data": c})
        if not tail and request.method == "PUT":
            problem = self._validate(body, c)
            if problem:
                return problem
            c.update({k: v for k, v in body.items() if k != "subscribers"})
            c["updated_at"] = datetime.now(UTC).isoformat()
            return Reply(200, {"data": c})
        return _error(405, "method not allowed")

    def _validate(self, body: Any, campaign: dict[str, Any] | None) -> Reply | None:
        if not isinstance(body, dict):
            return _error(400, "invalid JSON")
        unknown = set(body) - FIELDS
        if unknown:
            return _error(400, f"unknown fields {sorted(unknown)}")
        if not body.get("name") or not body.get("subject"):
            return _error(400, "invalid length for name / subject")
        if not body.get("lists") or not set(body["lists"]) <= LISTS:
            return _error(400, "invalid list IDs")
        for name in ("subject", "body", "altbody"):
            if not _compiles(str(body.get(name) or "")):
                return _error(400, f"error compiling template ({name})")
        send_at = body.get("send_at")
        if send_at is not None and (
            parse_time(send_at) or datetime.min.replace(tzinfo=UTC)
        ) <= datetime.now(UTC):
            return _error(400, "send_at date should be in the future")
        return None
