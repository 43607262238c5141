"""A stateful fake of Mailchimp's Marketing API v3 campaigns, as its reference describes it.

Pages (mailchimp.com/developer/marketing/…): ``docs/fundamentals`` and ``api-concepts/errors``
(Basic auth with the key as password; RFC 9457 problem+json errors), ``api/campaigns``
(campaigns start as ``save``; statuses ``save``, ``paused``, ``schedule``, ``sending``,
``sent``, ``canceled``, ``canceling``, ``archived``; ``send_time`` is "the date and time a
campaign was sent"; ``sort_field``/``sort_dir``; offset paging, here capped at ``page_size``),
``api/campaigns/campaign-content`` (content set and read apart), ``schedule-campaign``
(quarter hours, in the future), ``unschedule-campaign`` (before sending only). Scheduled and
sent campaigns refuse edits. ``docs/fundamentals`` ("API limits"): each user may hold 10
simultaneous connections; the 11th is answered 429 ("TooManyRequests"), with no Retry-After.
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

API_KEY = "0123456789abcdef0123456789abcdef-us21"
LIST_ID = "a1b2c3d4e5"
SETTINGS = {
    "subject_line",
    "preview_text",
    "title",
    "from_name",
    "reply_to",
    "to_name",
    "folder_id",
    "auto_footer",
    "inline_css",
    "template_id",
}


def _problem(status: int, title: str, detail: str, **extra: Any) -> Reply:
    return Reply(
        status,
        {
            "type": "https://mailchimp.com/developer/marketing/docs/errors/",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": "00000000-0000",
            **extra,
        },
        {"Content-Type": "application/problem+json"},
    )


@dataclass
class FakeMailchimp(FakeApi):
    provider: ClassVar[str] = "mailchimp"
    api_key: ClassVar[str] = API_KEY
    base_path: ClassVar[str] = "/3.0"
    options: ClassVar[dict[str, Any]] = {"list_id": LIST_ID}
    campaigns: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent_now: list[str] = field(default_factory=list)  # actions/send: must never happen
    unscheduled_status: str = "save"  # what an unscheduled campaign becomes
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    simultaneous_limit: int = 10  # connections at once per user (docs/fundamentals)
    list_call: tuple[str, str] = ("GET", "/3.0/campaigns")
    create_call: tuple[str, str] = ("POST", "/3.0/campaigns")
    update_call: tuple[str, str] = ("PUT", "/3.0/campaigns/*")

    def by_key(self, key: str) -> list[dict[str, Any]]:
        return [
            c
            for c in self.campaigns.values()
            if c["settings"].get("title", "").startswith(f"mailer:{key}#")
        ]

    def live(self) -> list[dict[str, Any]]:
        return [c for c in self.campaigns.values() if c["status"] in ("save", "paused", "schedule")]

    def scheduled_ids(self) -> list[str]:
        return [c["id"] for c in self.campaigns.values() if c["status"] == "schedule"]

    def received(self, item: dict[str, Any]) -> Received:
        content = item["content"]
        return Received(content["html"], content["plain_text"], item["settings"]["preview_text"])

    def copy_in_web_app(self, item_id: str) -> dict[str, Any]:
        import copy

        made = copy.deepcopy(self.campaigns[item_id])
        made["id"] = f"{next(self._ids):010x}"
        made.update(status="save", _schedule="", create_time=datetime.now(UTC).isoformat())
        self.campaigns[made["id"]] = made
        return made

    def edit_in_web_app(self, item_id: str) -> None:
        """A person renames the campaign (the marker's first place)."""
        self.campaigns[item_id]["settings"]["title"] = "Renamed by hand"

    def deliver_due(self, now: datetime) -> None:
        for c in self.campaigns.values():
            if c["status"] == "schedule" and parse_time(c["_schedule"]) <= now:
                c["status"], c["send_time"] = "sent", c["_schedule"]
                self.sent_to_list.append(c["id"])

    def too_many(self, request: Request) -> Reply:
        """The answer past the limit of simultaneous connections (docs/fundamentals)."""
        return _problem(
            429,
            "TooManyRequests",
            "You have exceeded the limit of 10 simultaneous connections.",
        )

    def handle(self, request: Request) -> Reply:
        auth = request.headers.get("authorization", "")
        try:
            password = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")[2]
        except ValueError:
            password = ""
        if password != API_KEY:
            return _problem(
                401,
                "API Key Invalid",
                "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
            )
        path, body = request.path, request.json
        if path == "/3.0/campaigns" and request.method == "POST":
            return self.create(body)
        if path == "/3.0/campaigns" and request.method == "GET":
            return self.list(request)
        match = re.fullmatch(r"/3\.0/campaigns/(\w+)(/content|/actions/\w+)?", path)
        if not match or match[1] not in self.campaigns:
            return _problem(404, "Resource Not Found", "The requested resource could not be found.")
        c, tail = self.campaigns[match[1]], match[2] or ""
        if request.method == "GET" and not tail:
            return Reply(200, _public(c))
        if request.method == "GET" and tail == "/content":
            return Reply(200, {"html": c["content"].get("html", ""), **c["content"]})
        if tail == "/actions/test" and request.method == "POST":
            if (
                not body
                or not body.get("test_emails")
                or body.get("send_type") not in ("html", "plaintext")
            ):
                return _problem(400, "Invalid Resource", "test_emails and send_type are required")
            self.test_sends.append((c["id"], list(body["test_emails"])))
            return Reply(204)
        if tail == "/actions/send":
            self.sent_now.append(c["id"])
            c["status"] = "sent"
            self.sent_to_list.append(c["id"])
            return Reply(204)
        if c["status"] in ("sending", "sent"):
            self.refused_edits_of_sent.append(c["id"])
            return _problem(400, "Bad Request", "This campaign has already been sent.")
        if tail == "/actions/unschedule" and request.method == "POST":
            if c["status"] != "schedule":
                return _problem(400, "Bad Request", "This campaign is not scheduled.")
            if not self.ignore_unschedule:
                c["status"], c["_schedule"] = self.unscheduled_status, ""
            return Reply(204)
        if tail == "/actions/schedule" and request.method == "POST":
            when = parse_time((body or {}).get("schedule_time", ""))
            if when is None or when.minute % 15 or when.second:
                return _problem(
                    400,
                    "Invalid Resource",
                    "Schedule time must be on the quarter hour (:00, :15, :30, :45).",
                )
            if when <= datetime.now(UTC):
                return _problem(400, "Invalid Resource", "Schedule time must be in the future.")
            if not c["content"].get("html"):
                return _problem(400, "Invalid Resource", "The campaign has no content.")
            c["status"], c["_schedule"] = "schedule", when.isoformat()
            return Reply(204)
        if c["status"] == "schedule":
            return _problem(400, "Bad Request", "Unschedule the campaign before editing it.")
        if tail == "/content" and request.method == "PUT":
            if not isinstance(body, dict) or set(body) - {
                "html",
                "plain_text",
                "url",
                "template",
                "archive",
            }:
                return _problem(
                    400,
                    "Invalid Resource",
                    "The resource submitted could not be validated.",
                    errors=[{"field": "", "message": "unknown field"}],
                )
            c["content"] = {"html": body.get("html", ""), "plain_text": body.get("plain_text", "")}
            return Reply(200, c["content"])
        if not tail and request.method == "PATCH":
            unknown = set((body or {}).get("settings", {})) - SETTINGS
            if unknown:
                return _problem(400, "Invalid Resource", f"Unknown settings: {sorted(unknown)}")
            c["settings"].update((body or {}).get("settings", {}))
            return Reply(200, _public(c))
        return _problem(405, "Method Not Allowed", "The requested method is not allowed.")

    def create(self, body: Any) -> Reply:
        if not isinstance(body, dict) or body.get("type") != "regular":
            return _problem(400, "Invalid Resource", "type must be 'regular'")
        if (body.get("recipients") or {}).get("list_id") != LIST_ID:
            return _problem(400, "Invalid Resource", "recipients.list_id: no such audience")
        unknown = set(body.get("settings", {})) - SETTINGS
        if unknown:
            return _problem(400, "Invalid Resource", f"Unknown settings: {sorted(unknown)}")
        cid = f"{next(self._ids):010x}"
        self.campaigns[cid] = {
            "id": cid,
            "type": "regular",
            "status": "save",
            "send_time": "",
            "_schedule": "",
            "create_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "archive_url": f"https://mailchi.mp/example/{cid}",
            "recipients": body["recipients"],
            "settings": dict(body.get("settings", {})),
            "content": {},
        }
        return Reply(200, _public(self.campaigns[cid]))

    def list(self, request: Request) -> Reply:
        count = min(int(request.query.get("count", ["10"])[0]), self.page_size)
        offset = int(request.query.get("offset", ["0"])[0])
        items = list(self.campaigns.values())  # in creation order
        if request.query.get("sort_field") == ["create_time"]:
            items.sort(key=lambda c: c["create_time"])  # stable: ties keep creation order
            if request.query.get("sort_dir") == ["DESC"]:
                items.reverse()
        page = [_public(c) for c in items[offset : offset + count]]
        return Reply(200, {"campaigns": page, "total_items": len(items)})


def _public(campaign: dict[str, Any]) -> dict[str, Any]:
    """A campaign as the API shows it (the fake's own bookkeeping left out)."""
    return {k: v for k, v in campaign.items() if not k.startswith("_") and k != "content"}
