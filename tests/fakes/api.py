"""What every fake provider shares: queued faults and the bookkeeping the property tests read.

Subclasses implement ``handle(request)`` like the real API, and the vocabulary the shared tests
use: ``by_key`` (the emails whose first marker names a key), ``live`` (drafts and scheduled),
``scheduled_ids``, ``deliver_due`` (the provider's scheduler sends what is due),
``edit_in_web_app`` (a person edits the field the marker's first place lives in).

Faults a real server can have: a queued reply (any status, any body: a 503, an HTML page, a
truncated JSON body), a connection dropped before or after the request took effect, a slow
answer, and ``ignore_unschedule`` (the server says yes to unscheduling and keeps the schedule).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from fakes.server import DROP, Reply, Request, Slow


@dataclass
class Fault:
    method: str
    path: str  # exact, or a prefix ending in "*"
    reply: Reply | None = None
    drop: str | None = None  # "before" (nothing happens) or "after" (it happens, answer lost)
    slow: float = 0.0
    echo: int = 0  # answer with this status and the whole request echoed back, key included

    def matches(self, request: Request) -> bool:
        return request.method == self.method and (
            request.path == self.path
            or (self.path.endswith("*") and request.path.startswith(self.path[:-1]))
        )


@dataclass(frozen=True)
class Received:
    """What a provider holds for an email: its HTML, its plain-text part (None where the
    provider takes none), its preheader."""

    html: str
    text: str | None
    preheader: str


@dataclass
class FakeApi:
    # who the fake stands in for, and how a user would configure mailer for it
    provider: ClassVar[str] = ""
    api_key: ClassVar[str] = ""
    base_path: ClassVar[str] = ""  # after the server's address: /3.0, /api, /v4
    options: ClassVar[dict[str, Any]] = {}  # [provider.<name>] in newsletter.toml
    rate_limit_wait: ClassVar[float] = 3.0  # what mailer waits after rate_limit_next

    page_size: int = 2
    faults: list[Fault] = field(default_factory=list)
    sent_to_list: list[str] = field(default_factory=list)  # sent to every subscriber
    test_sends: list[tuple[str, list[str]]] = field(default_factory=list)
    refused_edits_of_sent: list[str] = field(default_factory=list)
    ignore_unschedule: bool = False
    url: str = ""
    server: Any = None

    # what the property tests inject faults into: (method, path) for list, create, update
    list_call: tuple[str, str] = ("GET", "/")
    create_call: tuple[str, str] = ("POST", "/")
    update_call: tuple[str, str] = ("PUT", "/*")

    def fail_next(
        self,
        method: str,
        path: str,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.faults.append(Fault(method, path, Reply(status, body, headers or {})))

    def drop_next(self, method: str, path: str, *, after: bool) -> None:
        self.faults.append(Fault(method, path, drop="after" if after else "before"))

    def slow_next(self, method: str, path: str, seconds: float) -> None:
        self.faults.append(Fault(method, path, slow=seconds))

    def echo_next(self, method: str, path: str, status: int) -> None:
        """The next such request is refused with an error that quotes it whole: headers (the
        key among them), body, in every shape each provider's errors take."""
        self.faults.append(Fault(method, path, echo=status))

    def __call__(self, request: Request) -> Reply | Slow | object:
        for fault in self.faults:
            if fault.matches(request):
                self.faults.remove(fault)
                if fault.slow:
                    return Slow(fault.slow)
                if fault.echo:
                    said = f"{request.method} {request.path} {request.headers} {request.body!r}"
                    body = {"detail": said, "message": said, "errors": [said], "title": said}
                    return Reply(fault.echo, body)
                if fault.drop == "before":
                    return DROP
                if fault.drop == "after":
                    self.handle(request)
                    return DROP
                assert fault.reply is not None
                return fault.reply
        return self.handle(request)

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    def by_key(self, key: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    def live(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def scheduled_ids(self) -> list[str]:
        raise NotImplementedError

    def edit_in_web_app(self, item_id: str) -> None:
        raise NotImplementedError

    def copy_in_web_app(self, item_id: str) -> dict[str, Any]:
        """A person clicks "duplicate": a new draft with everything copied, marker included."""
        raise NotImplementedError

    def deliver_due(self, now: datetime) -> None:
        raise NotImplementedError

    def received(self, item: dict[str, Any]) -> Received:
        raise NotImplementedError

    def rate_limit_next(self, method: str, path: str) -> None:
        """The next such request is refused as the provider refuses too many requests."""
        self.fail_next(method, path, 429, {"detail": "slow down"}, {"Retry-After": "3"})


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time as the fakes store and receive them (UTC when it names no zone); None
    when it is missing or not a time."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
