"""What a provider is, what it tells sync about an email, and how mailer's key rides on it.

A provider module only translates. The flow — look up, create as a draft, count, converge,
bring to the target, read back — is sync's (``mailer/sync/``), written once for all providers.

Every email mailer makes carries its **marker**, ``mailer:<key>#<content hash>``, so that any
later run, or one running at the same time, finds it:

- in the provider's private metadata where it has some (Buttondown);
- else in two places, because each can be edited by a person in the provider's web app:
  Mailchimp's campaign name and a comment in the content, Kit's internal note and a comment in
  the content, listmonk's attributes and a tag. One place edited away still identifies the email
  (the next write restores it); two places that name different issues make the email
  *ambiguous*: never written to, never taken for "nothing there yet".

A second live email for the same key is *released*: back to draft, its marker changed to
``mailer-duplicate:<key>`` so it is no longer counted. Nothing is ever deleted.
"""

from __future__ import annotations

import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

from mailer.core.errors import ConfigError, ProviderError, UnsupportedFeature
from mailer.core.provider_facts import Option, ProviderFacts, TemplateLanguage, check_options
from mailer.providers.http import HttpClient

State = Literal["draft", "scheduled", "sent"]

MARK = "mailer:"
DUPLICATE_MARK = "mailer-duplicate:"
_MARKER = re.compile(r"mailer:([A-Za-z0-9_-]{1,100})#([0-9a-f]{16,64}|pending)")
_CONTENT_MARKER = re.compile(r"<!-- (mailer(?:-duplicate)?:[^ ]*) -->")


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

    @property
    def marker(self) -> str:
        return marker(self.key, self.content_hash)


@dataclass(frozen=True)
class Target:
    """Where an email should end up: a draft, or scheduled at a time."""

    state: Literal["draft", "scheduled"]
    at: datetime | None = None


@dataclass(frozen=True)
class RemoteEmail:
    """An email as the provider has it, reduced to what sync needs."""

    id: str
    key: str | None  # the issue key its marker names; None: not mailer's (or a released copy)
    state: State  # "sent" covers everything past scheduled: sending, sent, errored...
    status: str  # the provider's own word for it
    content_hash: str | None
    publish_at: datetime | None
    created: datetime | None = None
    subject: str = ""
    url: str = ""
    conflict: str = ""  # why its markers disagree: ambiguous, never written to
    claims: tuple[str, ...] = ()  # the issue keys its disagreeing markers name
    repair: bool = False  # one of its marker's two places was edited away: write it back
    duplicate_of: str | None = None  # released as a duplicate of this key
    unmarked: bool = False  # no marker in the places a listing shows (see Provider.reveal)

    @property
    def live(self) -> bool:
        """Could still go out: a draft or scheduled."""
        return self.state in ("draft", "scheduled")

    @property
    def age(self) -> tuple[datetime, int, str]:
        """The order every run agrees on: the oldest live email of a key is the one kept.
        Creation times of the same second are told apart by id, numbers as numbers."""
        return (self.created or datetime.max.replace(tzinfo=UTC), len(self.id), self.id)


@dataclass(frozen=True)
class Exported:
    """An email as `mailer import` reads it: its state, and the content to write a file from."""

    remote: RemoteEmail
    body: str  # as the provider keeps it
    body_format: Literal["markdown", "html"]
    preheader: str
    slug: str  # the provider's own short name for it, when it has one


@dataclass(frozen=True)
class PushResult:
    provider: str
    remote_id: str
    action: str  # created, updated, unscheduled, unchanged
    url: str
    state: State


def marker(key: str, content_hash: str) -> str:
    return f"{MARK}{key}#{content_hash}"


def read_marker(text: str) -> tuple[str, str | None] | None:
    """(key, content hash) from a marker; the hash is None while it is pending."""
    match = _MARKER.fullmatch(text.strip())
    if match is None:
        return None
    return match[1], (None if match[2] == "pending" else match[2])


def content_marker(draft: Draft) -> str:
    """The marker as an HTML comment, for providers whose other place is editable."""
    return f"\n<!-- {draft.marker} -->\n"


def read_content_marker(html: str) -> str | None:
    """The last mailer comment in an email's HTML, as written (a marker or a duplicate mark)."""
    found = _CONTENT_MARKER.findall(html[-4096:]) if html else []
    return found[-1] if found else None


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


def same_time(a: datetime | None, b: datetime | None) -> bool:
    """Two send times that name the same minute (providers keep whole seconds at best)."""
    return a is not None and b is not None and abs((a - b).total_seconds()) < 60


@dataclass(frozen=True)
class Identity:
    """Who an email is, from the places its marker lives."""

    key: str | None = None
    content_hash: str | None = None
    conflict: str = ""
    claims: tuple[str, ...] = ()
    repair: bool = False


def identify(
    first: tuple[str, str | None] | None,
    second: tuple[str, str | None] | None,
    *,
    where: tuple[str, str],
) -> Identity:
    """Key, content hash and conflict from the two places a marker lives.

    One place is enough to know the email (a person edited the other: the next run writes it
    back); two that name different issues are a conflict. The hash comes from the first place,
    which mailer writes last. `second` is None also where it was not read (a listing that hides
    it): callers pass what they saw.
    """
    if first and second and first[0] != second[0]:
        return Identity(
            conflict=f"its {where[0]} names issue {first[0]!r} but its {where[1]} names "
            f"{second[0]!r}",
            claims=(first[0], second[0]),
        )
    if first and second:
        return Identity(first[0], first[1])
    if first:
        return Identity(first[0], first[1], repair=True)
    if second:
        return Identity(second[0], repair=True)  # hash unknown: the next write puts it back
    return Identity()


class Provider(ABC):
    """A newsletter service: its declared facts (``<name>.toml``, see mailer.core.provider_facts)
    and its API. Class attributes say who it is; sync owns the flow."""

    facts: ClassVar[ProviderFacts]  # set by each provider: declared("<name>")
    # copied from the facts, for the code that talks to the provider
    name: ClassVar[str]
    display_name: ClassVar[str]
    api_key_env: ClassVar[tuple[str, ...]]
    base_url_env: ClassVar[str]
    # a self-hosted service's address may come from newsletter.toml; a hosted one's only from
    # the environment (a commit must not be able to send the key elsewhere)
    base_url_in_config: ClassVar[bool]
    permissions: ClassVar[str]  # what the API key must be allowed to do (README, 403 hints)
    options_schema: ClassVar[tuple[Option, ...]]  # the keys of [provider.<name>]
    language: ClassVar[TemplateLanguage]  # what it fills in when it sends
    default_base_url: ClassVar[str]
    # what this provider cannot take from us: said once per run, never dropped silently
    cannot: ClassVar[tuple[str, ...]] = ()
    # `extra` in [provider.<name>]: fields passed through as written. Never a field that sends,
    # schedules or that mailer owns (status, send times, the marker, the content)
    extra_fields: ClassVar[frozenset[str]] = frozenset()
    # whether a listing shows every place a marker lives (else `reveal` reads what it hides)
    listing_shows_markers: ClassVar[bool] = True
    can_test_send: ClassVar[bool] = True
    # how many issues sync may write at once: 1 unless the provider's documented limits leave
    # room (each provider module says why). Issues are independent; one issue's steps never
    # overlap, so the one-email-per-key rule holds at any setting
    concurrency: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        facts = cls.__dict__.get("facts")
        if facts is not None:
            cls.name, cls.display_name = facts.name, facts.display_name
            cls.api_key_env, cls.base_url_env = facts.api_key_env, facts.base_url_env
            cls.base_url_in_config, cls.permissions = facts.base_url_in_config, facts.permissions
            cls.options_schema, cls.language = facts.options_schema, facts.language

    def __init__(self, http: HttpClient, options: Mapping[str, Any], sender: str = "") -> None:
        self.http = http
        self.options = options
        self.sender = sender  # the newsletter's From, for providers whose API takes one
        self.extra = self._checked_extra(options.get("extra"))
        self._emails: list[RemoteEmail] | None = None
        self._listing_lock = threading.RLock()  # sync writes several issues at once

    # -- who it is and where --------------------------------------------------------------------

    @staticmethod
    @abstractmethod
    def auth_headers(api_key: str) -> dict[str, str]:
        """The headers that authenticate a request (they never appear in any output)."""

    @staticmethod
    def secret_parts(api_key: str) -> tuple[str, ...]:
        """The parts of the key this provider treats as a secret of its own (masked wherever
        they appear, like the whole key): none besides the whole, unless a provider says so."""
        return ()

    @classmethod
    def base_url(cls, api_key: str, configured: str | None) -> str:
        """Where the API is: the configured URL, else the provider's own."""
        return configured or cls.default_base_url

    def normalize(self, target: Target) -> Target:
        """The target as the provider can hold it (e.g. a send time on its grid)."""
        return target

    # -- reading ---------------------------------------------------------------------------------

    @abstractmethod
    def list_emails(self) -> list[RemoteEmail]:
        """Every email of the account but deleted ones, all pages, in a stable order.

        Raises ProviderError (a malformed answer included)."""

    @abstractmethod
    def get(self, remote_id: str) -> RemoteEmail:
        """One email, read fresh and as fully as the provider allows: what verification reads."""

    def reveal(self, remotes: list[RemoteEmail]) -> list[RemoteEmail]:
        """The listing, with live emails that show no marker read in full: a person may have
        renamed one of mailer's. Only where a listing hides a marker's second place."""
        if self.listing_shows_markers:
            return remotes
        return [self.get(r.id) if r.unmarked and r.live else r for r in remotes]

    # -- writing: each leaves what the next run can read and repair ------------------------------

    @abstractmethod
    def create(self, draft: Draft) -> RemoteEmail:
        """Create the email as a **draft** carrying the marker, its content in place.

        Raises OutcomeUnknown when the answer was lost (it may exist now)."""

    @abstractmethod
    def update(
        self, remote: RemoteEmail, draft: Draft, target: Target, *, content: bool = True
    ) -> None:
        """Give a draft or scheduled email this content, marker and state. The content hash is
        recorded last, so a failure half-way reads as out of date. `content=False`: the email
        already holds this content (its hash says so); only the state or time changes, and a
        provider that sets them apart may skip uploading the content again."""

    @abstractmethod
    def unschedule(self, remote: RemoteEmail) -> None:
        """Turn a scheduled email back into a draft; nothing else changes."""

    @abstractmethod
    def release(self, remote: RemoteEmail, key: str) -> None:
        """A second live email for `key`: back to a draft, marked ``mailer-duplicate:<key>``."""

    @abstractmethod
    def send_test(self, remote: RemoteEmail, recipients: list[str]) -> None:
        """Send the email to these addresses only (never to the list)."""

    # -- moving in: `mailer import` ------------------------------------------------------------

    def export_emails(self) -> list[Exported]:
        """Every email of the account with its content, for `mailer import`; a provider whose
        API does not give the content back says so."""
        raise UnsupportedFeature(
            self.display_name,
            "cannot be imported from yet: mailer reads emails back from Buttondown only",
        )

    def adopt(self, remote: RemoteEmail, key: str, content_hash: str, source: str) -> None:
        """Mark an imported email as the issue `key`'s, as if mailer had made it: the next sync
        finds it and, its content hash being the file's, leaves it as it is. The marker's place
        only: nothing that is sent, scheduled or shown changes."""
        raise UnsupportedFeature(self.display_name, "cannot adopt an imported email yet")

    # -- shared helpers --------------------------------------------------------------------------

    def emails(self, *, refresh: bool = False) -> list[RemoteEmail]:
        """The listing, read once per run unless asked again."""
        with self._listing_lock:
            if self._emails is None or refresh:
                self._emails = self.list_emails()
            return self._emails

    def remember(self, email: RemoteEmail) -> None:
        """Keep the listing read at the start of a run true to what this run read back since."""
        with self._listing_lock:
            if self._emails is not None:
                self._emails = [e for e in self._emails if e.id != email.id] + [email]

    def find(self, key: str, *, refresh: bool = False) -> RemoteEmail | None:
        """The provider's email for an issue key: the sent one, else the oldest live one."""
        matches = [e for e in self.emails(refresh=refresh) if e.key == key]
        sent = [e for e in matches if e.state == "sent"]
        if sent:
            return sent[0]
        live = [e for e in matches if e.live]
        return min(live, key=lambda e: e.age) if live else None

    def malformed(self, what: str) -> ProviderError:
        return self.http.malformed(None, what)

    @classmethod
    def check_options(cls, options: Mapping[str, Any], *, to_send: bool) -> None:
        """[provider.<name>] against its declared keys (see mailer.core.provider_facts)."""
        check_options(cls.facts, options, to_send=to_send)

    def _checked_extra(self, extra: object) -> dict[str, Any]:
        if extra is None:
            return {}
        if not isinstance(extra, dict):
            raise ConfigError(f"provider.{self.name}.extra must be a table of fields")
        refused = sorted(set(extra) - self.extra_fields)
        if refused:
            allowed = ", ".join(sorted(self.extra_fields)) or "none"
            raise ConfigError(
                f"provider.{self.name}.extra may not set {', '.join(refused)}: mailer sets "
                f"status, send times and content itself, and never sends at once "
                f"(fields {self.display_name} takes from extra: {allowed})"
            )
        return dict(extra)

    def _stamp(self, item: Mapping[str, Any], what: str) -> str:
        """An object's id, as text; a reply without one is malformed."""
        value = item.get("id")
        if value is None or isinstance(value, bool | dict | list) or str(value) == "":
            raise self.malformed(f"{what} without an id")
        return str(value)
