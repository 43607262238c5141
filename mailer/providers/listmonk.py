"""listmonk (self-hosted): translation and endpoints only; the flow is sync's.

Quirks this module exists for (listmonk's code and docs; see docs/providers.md):
- There is no listmonk.com: the base URL (``…/api``) must be configured.
- Auth is ``Authorization: token <api_user>:<token>``, one variable holding both.
- Bodies, text parts and subjects are Go templates: a literal ``{{`` in our content would break
  them, so every ``{{`` that is not a listmonk expression (``{{ UnsubscribeURL }}``,
  ``{{ .Subscriber.Name }}``…) is escaped as ``{{"{{"}}``.
- ``lists`` must be sent with every update; scheduling is ``send_at`` then status
  ``scheduled``; unscheduling is status ``draft``. ``paused`` means sending began and stopped:
  never touched, like ``running``, ``finished`` and ``cancelled``.
- The marker lives in ``attribs`` (v6+) and in a tag (``mailer:<key>``); both are editable in
  listmonk's campaign page, so either one identifies the campaign and two that disagree make it
  ambiguous. The listing is of every campaign, oldest first (a removed tag must not hide one).
- A test send needs the recipients to exist as subscribers.
"""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any, ClassVar

from mailer.core.errors import ConfigError
from mailer.core.provider_facts import ProviderFacts, declared
from mailer.providers.base import (
    DUPLICATE_MARK,
    MARK,
    Draft,
    Identity,
    Provider,
    RemoteEmail,
    State,
    Target,
    identify,
    parse_time,
)

TAG = "mailer"
_STATES: dict[str, State] = {"draft": "draft", "scheduled": "scheduled"}
_GO_ACTION = re.compile(r"\{\{(.*?)(\}\}|$)", re.S)
PER_PAGE = 100
# every field a campaign is written with (PUT replaces; a release writes them back unchanged)
_FIELDS = (
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
)


def go_escape(text: str) -> str:
    """Keep listmonk's own expressions; make every other ``{{`` literal text."""

    def keep_or_escape(match: re.Match[str]) -> str:
        if match[2] and ListmonkProvider.language.is_merge_variable(match[1]):
            return match[0]
        return '{{"{{"}}' + match[1] + match[2]

    return _GO_ACTION.sub(keep_or_escape, text) if "{{" in text else text


class ListmonkProvider(Provider):
    facts: ClassVar[ProviderFacts] = declared("listmonk")  # listmonk.toml
    default_base_url: ClassVar[str] = ""
    # self-hosted, with no rate limit in its server code: 4 at a time keeps a small server easy
    concurrency: ClassVar[int] = 4
    extra_fields: ClassVar[frozenset[str]] = frozenset(
        {"from_email", "headers", "archive", "archive_template_id", "archive_meta"}
    )

    @staticmethod
    def auth_headers(api_key: str) -> dict[str, str]:
        if ":" not in api_key:
            raise ConfigError(
                "MAILER_LISTMONK_API_KEY must be 'api_user:token' (from listmonk's Admin → Users)"
            )
        return {"Authorization": f"token {api_key}"}

    @staticmethod
    def secret_parts(api_key: str) -> tuple[str, ...]:
        # "api_user:token": the token is the secret, the user's name is not
        return (api_key.partition(":")[2],)

    @classmethod
    def base_url(cls, api_key: str, configured: str | None) -> str:
        if not configured:
            raise ConfigError(
                "listmonk runs on your own server: set MAILER_LISTMONK_BASE_URL "
                "(like https://lists.example.org/api) or base_url under "
                "[provider.listmonk]"
            )
        return configured

    @property
    def lists(self) -> list[int]:
        lists = self.options.get("lists")
        if not lists or not isinstance(lists, list):
            raise ConfigError(
                "listmonk needs the lists to send to: set lists = [1] under "
                "[provider.listmonk] in newsletter.toml"
            )
        return [int(n) for n in lists]

    # -- reading ---------------------------------------------------------------------------------

    def list_emails(self) -> list[RemoteEmail]:
        emails: list[RemoteEmail] = []
        page = 1
        while True:
            data = self.http.json_object(
                "GET",
                "/campaigns",
                params={
                    "page": page,
                    "per_page": PER_PAGE,
                    "no_body": "true",
                    "order_by": "created_at",
                    "order": "ASC",
                },
                inside="data",
            )
            results = data.get("results")
            if not isinstance(results, list):
                raise self.malformed("a page of campaigns without results")
            emails.extend(self._remote(item) for item in results)
            total, size = data.get("total"), data.get("per_page")
            size = size if isinstance(size, int) and size > 0 else PER_PAGE  # as the server says
            if not results or not isinstance(total, int) or page * size >= total:
                return emails
            page += 1

    def get(self, remote_id: str) -> RemoteEmail:
        return self._remote(self._fetch_raw(remote_id))

    # -- writing ---------------------------------------------------------------------------------

    def create(self, draft: Draft) -> RemoteEmail:
        data = self.http.json_object(
            "POST", "/campaigns", json=self._campaign(draft, Target("draft")), inside="data"
        )
        return self._remote(data)

    def update(
        self, remote: RemoteEmail, draft: Draft, target: Target, *, content: bool = True
    ) -> None:
        if remote.state == "scheduled":  # back to draft first, so the new time is the one used
            self._status(remote.id, "draft")
        self.http.json_object(
            "PUT", f"/campaigns/{remote.id}", json=self._campaign(draft, target), inside="data"
        )
        if target.state == "scheduled":
            self._status(remote.id, "scheduled")

    def unschedule(self, remote: RemoteEmail) -> None:
        self._status(remote.id, "draft")

    def release(self, remote: RemoteEmail, key: str) -> None:
        if remote.state == "scheduled":
            self._status(remote.id, "draft")
        campaign = self._fetch_raw(remote.id)
        fields = {k: campaign[k] for k in _FIELDS if k in campaign and campaign[k] is not None}
        fields["lists"] = self.lists
        fields["tags"] = [f"{DUPLICATE_MARK}{key}"]
        fields["attribs"] = {"mailer_duplicate_of": key}
        fields.pop("send_at", None)
        self.http.json_object("PUT", f"/campaigns/{remote.id}", json=fields, inside="data")

    def send_test(self, remote: RemoteEmail, recipients: list[str]) -> None:
        campaign = self._fetch_raw(remote.id)
        fields: dict[str, Any] = {
            k: campaign[k]
            for k in (
                "name",
                "subject",
                "body",
                "altbody",
                "content_type",
                "tags",
                "template_id",
                "messenger",
            )
            if k in campaign
        }
        fields["lists"] = self.lists
        self.http.request(
            "POST", f"/campaigns/{remote.id}/test", json={**fields, "subscribers": recipients}
        )

    # -- translation -----------------------------------------------------------------------------

    def _campaign(self, draft: Draft, target: Target) -> dict[str, Any]:
        template = self.options.get("template_id")
        body = draft.html if template else draft.body_html
        campaign: dict[str, Any] = {**self.extra}
        campaign.update(
            {
                "name": f"{draft.key}: {draft.subject}"[:200],
                "subject": go_escape(draft.subject),
                "lists": self.lists,
                "type": "regular",
                "content_type": "html",
                "body": go_escape(body),
                "altbody": go_escape(draft.text),
                "tags": [TAG, f"{TAG}:{draft.key}"],
                "attribs": {"mailer_key": draft.key, "mailer_hash": draft.content_hash},
                "messenger": "email",
                "send_at": (
                    target.at.astimezone(UTC).isoformat()
                    if target.state == "scheduled" and target.at
                    else None
                ),
            }
        )
        if template:
            campaign["template_id"] = int(template)
        return campaign

    def _status(self, campaign: str, status: str) -> None:
        self.http.json_object(
            "PUT", f"/campaigns/{campaign}/status", json={"status": status}, inside="data"
        )

    def _fetch_raw(self, campaign: str) -> dict[str, Any]:
        return self.http.json_object("GET", f"/campaigns/{campaign}", inside="data")

    def _remote(self, item: dict[str, Any]) -> RemoteEmail:
        if not isinstance(item, dict):
            raise self.malformed("a campaign that is not an object")
        tags = item.get("tags")
        tags = [str(t) for t in tags] if isinstance(tags, list) else []
        attribs = item.get("attribs")
        attribs = attribs if isinstance(attribs, dict) else {}
        duplicate = attribs.get("mailer_duplicate_of") or next(
            (t[len(DUPLICATE_MARK) :] for t in tags if t.startswith(DUPLICATE_MARK)), None
        )
        from_attribs = None
        if isinstance(attribs.get("mailer_key"), str) and attribs["mailer_key"]:
            stored = attribs.get("mailer_hash")
            from_attribs = (attribs["mailer_key"], stored if isinstance(stored, str) else None)
        tag_key = next(
            (t[len(MARK) :] for t in tags if t.startswith(MARK) and len(t) > len(MARK)), None
        )
        from_tag = (tag_key, None) if tag_key else None
        if duplicate:
            who = Identity()
        else:
            who = identify(from_attribs, from_tag, where=("attributes", "tags"))
        status = str(item.get("status", ""))
        return RemoteEmail(
            id=self._stamp(item, "a campaign"),
            key=who.key,
            state=_STATES.get(status, "sent"),
            status=status,
            content_hash=who.content_hash,
            publish_at=parse_time(item.get("send_at")),
            created=parse_time(item.get("created_at")),
            subject=str(item.get("subject") or "").replace('{{"{{"}}', "{{"),
            conflict=who.conflict,
            claims=who.claims,
            repair=who.repair,
            duplicate_of=str(duplicate) if duplicate else None,
        )
