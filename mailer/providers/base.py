"""What every provider is, and the one place the push flow lives.

    find by the issue's stable key ─┬─ found, draft or scheduled ─ update when anything differs
                                    ├─ found, sent or on its way ─ never touched
                                    └─ not found ─ create, with an explicit status
                                                   └─ outcome unknown (lost response, 5xx,
                                                      timeout) ─ look again ─ found: done
                                                                           └─ not found: create
                                                                              once more

Run twice with nothing changed, it makes no write request; run after a lost response, it never
makes a second email. Subclasses only translate: ``list_emails``, ``create``, ``update``,
``unschedule``, ``send_test``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

from mailer.errors import ProviderError, ProviderUnavailable
from mailer.providers.http import HttpClient, TransientFailure

State = Literal["draft", "scheduled", "sent"]


@dataclass(frozen=True)
class Draft:
    """An issue as the provider receives it."""

    key: str  # the stable id (its slug)
    subject: str
    preheader: str
    html: str  # the complete email
    body_html: str  # just the content, for providers that wrap it in their template
    text: str
    content_hash: str
    source: Path


@dataclass(frozen=True)
class Target:
    """Where an email should end up: a draft, or scheduled at a time."""

    state: Literal["draft", "scheduled"]
    at: datetime | None = None


@dataclass(frozen=True)
class RemoteEmail:
    """An email as the provider has it, reduced to what sync needs."""

    id: str
    key: str | None  # our issue key, when this email is ours
    state: State  # "sent" covers everything past scheduled: sending, sent, errored...
    status: str  # the provider's own word for it
    content_hash: str | None
    publish_at: datetime | None
    url: str = ""
    managed: bool = False  # carries mailer's own marker: created by mailer, not only same slug


@dataclass(frozen=True)
class PushResult:
    provider: str
    remote_id: str
    action: str  # created, updated, unscheduled, unchanged
    url: str
    state: State


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time from a provider's JSON (UTC when it names no zone); None if absent."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def same_content(remote: RemoteEmail, draft: Draft) -> bool:
    """Whether the provider holds this exact rendering (some keep only a prefix of the hash)."""
    stored = remote.content_hash or ""
    return len(stored) >= 16 and draft.content_hash.startswith(stored)


class Provider(ABC):
    """A newsletter service. Class attributes say who it is; the base class owns the flow."""

    name: ClassVar[str]
    display_name: ClassVar[str]
    api_key_env: ClassVar[tuple[str, ...]]
    base_url_env: ClassVar[str]
    default_base_url: ClassVar[str]
    # what this provider cannot take from us: said once per run, never dropped silently
    cannot: ClassVar[tuple[str, ...]] = ()

    def __init__(self, http: HttpClient, options: Mapping[str, Any]) -> None:
        self.http = http
        self.options = options
        self._emails: list[RemoteEmail] | None = None

    # -- what each provider implements --------------------------------------------------------

    @staticmethod
    @abstractmethod
    def auth_headers(api_key: str) -> dict[str, str]:
        """The headers that authenticate a request (they never appear in any output)."""

    @classmethod
    def base_url(cls, api_key: str, configured: str | None) -> str:
        """Where the API is: the configured URL, else the provider's own."""
        return configured or cls.default_base_url

    def normalize(self, target: Target) -> Target:
        """The target as the provider can hold it (e.g. a send time on its grid)."""
        return target

    @abstractmethod
    def list_emails(self) -> list[RemoteEmail]:
        """Every email the account has (all pages), newest state. Raises ProviderError."""

    @abstractmethod
    def create(self, draft: Draft, target: Target) -> RemoteEmail:
        """Create the email in the target state, with an explicit status (never "send now").

        Raises TransientFailure when the outcome is unknown (the provider may have created it).
        """

    @abstractmethod
    def update(self, remote: RemoteEmail, draft: Draft, target: Target) -> RemoteEmail:
        """Replace content and schedule state of a draft or scheduled email."""

    @abstractmethod
    def unschedule(self, remote: RemoteEmail) -> RemoteEmail:
        """Turn a scheduled email back into a draft."""

    @abstractmethod
    def send_test(self, remote: RemoteEmail, recipients: list[str]) -> None:
        """Send the email to these addresses only (never to the list)."""

    # -- the flow, written once ---------------------------------------------------------------

    def emails(self, *, refresh: bool = False) -> list[RemoteEmail]:
        if self._emails is None or refresh:
            self._emails = self.list_emails()
        return self._emails

    def find(self, key: str, *, refresh: bool = False) -> RemoteEmail | None:
        """The provider's email for an issue key, if there is one."""
        matches = [e for e in self.emails(refresh=refresh) if e.key == key]
        # more than one means someone copied it by hand: prefer what is furthest along
        order = {"sent": 0, "scheduled": 1, "draft": 2}
        return min(matches, key=lambda e: order[e.state]) if matches else None

    def push(
        self,
        draft: Draft,
        target: Target,
        remote: RemoteEmail | None = None,
        *,
        looked: bool = False,
    ) -> PushResult:
        """Make the provider hold `draft` in `target` state; idempotent.

        `remote` is the email already found for this key (`looked=True` says a lookup found
        none); without either, push looks it up first.
        """
        target = self.normalize(target)
        if remote is None and not looked:
            remote = self.find(draft.key)
        if remote is None:
            return self._result(self._create_once(draft, target), "created")
        if remote.state == "sent":
            raise ProviderError(
                self.display_name,
                f"already sent {draft.key!r}",
                detail=f"status {remote.status}; mailer never changes a sent email",
            )
        if self.in_target(remote, draft, target):
            return self._result(remote, "unchanged")
        return self._result(self._remember(self.update(remote, draft, target)), "updated")

    def pull_back(self, remote: RemoteEmail) -> PushResult:
        """Unschedule: a scheduled email goes back to being a draft."""
        if remote.state != "scheduled":
            return self._result(remote, "unchanged")
        return self._result(self._remember(self.unschedule(remote)), "unscheduled")

    @staticmethod
    def in_target(remote: RemoteEmail, draft: Draft, target: Target) -> bool:
        if not same_content(remote, draft) or remote.state != target.state:
            return False
        if target.state == "scheduled" and target.at is not None:
            return (
                remote.publish_at is not None
                and abs((remote.publish_at - target.at).total_seconds()) < 60
            )
        return True

    def _create_once(self, draft: Draft, target: Target) -> RemoteEmail:
        """Create, and if the answer is lost, look again before creating once more."""
        last = ""
        for _ in range(3):
            try:
                created = self.create(draft, target)
            except TransientFailure as exc:
                last = exc.reason
                self.http.sleep(1.0)
                found = self.find(draft.key, refresh=True)
                if found is not None:
                    return found  # it was created; the answer just never arrived
                continue
            return self._remember(created)
        raise ProviderUnavailable(
            self.display_name,
            f"could not create {draft.key!r}",
            detail=last,
            hint="nothing was created; run again later",
        )

    def _remember(self, remote: RemoteEmail) -> RemoteEmail:
        """Keep the listing read at the start of a run true to what this run changed."""
        if self._emails is not None:
            self._emails = [e for e in self._emails if e.id != remote.id] + [remote]
        return remote

    def _result(self, remote: RemoteEmail, action: str) -> PushResult:
        return PushResult(self.name, remote.id, action, remote.url, remote.state)
