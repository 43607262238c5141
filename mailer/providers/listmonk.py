"""listmonk (self-hosted): translation and endpoints only; the flow is in base.

Quirks this module exists for (listmonk's code and docs; see PROVIDERS.md):
- There is no listmonk.com: the base URL (``…/api``) must be configured.
- Auth is ``Authorization: token <api_user>:<token>``, one variable holding both.
- Bodies, text parts and subjects are Go templates: a literal ``{{`` in our content would break
  them, so every ``{{`` that is not a listmonk expression (``{{ UnsubscribeURL }}``,
  ``{{ .Subscriber.Name }}``…) is escaped as ``{{"{{"}}``.
- ``lists`` must be sent with every update; scheduling is ``send_at`` then status
  ``scheduled``; unscheduling is status ``draft``.
- The issue key is a tag (``mailer:<key>``, filterable), the content hash an attribute.
- A test send needs the recipients to exist as subscribers.
"""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any, ClassVar

from mailer.errors import ConfigError
from mailer.mergetags import is_merge_variable
from mailer.providers.base import Draft, Provider, RemoteEmail, State, Target, parse_time

TAG = "mailer"
_STATES: dict[str, State] = {"draft": "draft", "scheduled": "scheduled"}
_GO_ACTION = re.compile(r"\{\{(.*?)(\}\}|$)", re.S)
PER_PAGE = 100


def go_escape(text: str) -> str:
    """Keep listmonk's own expressions; make every other ``{{`` literal text."""

    def keep_or_escape(match: re.Match[str]) -> str:
        if match[2] and is_merge_variable("listmonk", match[1]):
            return match[0]
        return '{{"{{"}}' + match[1] + match[2]

    return _GO_ACTION.sub(keep_or_escape, text) if "{{" in text else text


class ListmonkProvider(Provider):
    name: ClassVar[str] = "listmonk"
    display_name: ClassVar[str] = "listmonk"
    api_key_env: ClassVar[tuple[str, ...]] = ("MAILER_LISTMONK_API_KEY",)
    base_url_env: ClassVar[str] = "MAILER_LISTMONK_BASE_URL"
    default_base_url: ClassVar[str] = ""

    @staticmethod
    def auth_headers(api_key: str) -> dict[str, str]:
        if ":" not in api_key:
            raise ConfigError(
                "MAILER_LISTMONK_API_KEY must be 'api_user:token' (from listmonk's Admin → Users)"
            )
        return {"Authorization": f"token {api_key}"}

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

    def list_emails(self) -> list[RemoteEmail]:
        emails: list[RemoteEmail] = []
        page = 1
        while True:
            data = self.http.request(
                "GET",
                "/campaigns",
                params={
                    "tag": TAG,
                    "page": page,
                    "per_page": PER_PAGE,
                    "no_body": "true",
                },
            ).json()["data"]
            results = data.get("results") or []
            emails.extend(self._remote(item) for item in results)
            if not results or page * int(data.get("per_page") or PER_PAGE) >= int(
                data.get("total") or 0
            ):
                return emails
            page += 1

    def create(self, draft: Draft, target: Target) -> RemoteEmail:
        data = self.http.request("POST", "/campaigns", json=self._campaign(draft, target)).json()[
            "data"
        ]
        remote = self._remote(data)
        if target.state == "scheduled":
            remote = self._status(remote.id, "scheduled")
        return remote

    def update(self, remote: RemoteEmail, draft: Draft, target: Target) -> RemoteEmail:
        if remote.state == "scheduled":  # back to draft first, so the new time is the one used
            self._status(remote.id, "draft")
        self.http.request("PUT", f"/campaigns/{remote.id}", json=self._campaign(draft, target))
        if target.state == "scheduled":
            return self._status(remote.id, "scheduled")
        return self._fetch(remote.id)

    def unschedule(self, remote: RemoteEmail) -> RemoteEmail:
        return self._status(remote.id, "draft")

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

    def _campaign(self, draft: Draft, target: Target) -> dict[str, Any]:
        template = self.options.get("template_id")
        body = draft.html if template else draft.body_html
        campaign: dict[str, Any] = {
            "name": f"{draft.key}: {draft.subject}"[:200],
            "subject": go_escape(draft.subject),
            "lists": self.lists,
            "type": "regular",
            "content_type": "html",
            "body": go_escape(body),
            "altbody": go_escape(draft.text),
            "tags": [TAG, f"{TAG}:{draft.key}"],
            "attribs": {"mailer_hash": draft.content_hash},
            "messenger": "email",
            "send_at": (
                target.at.astimezone(UTC).isoformat()
                if target.state == "scheduled" and target.at
                else None
            ),
        }
        if template:
            campaign["template_id"] = int(template)
        return campaign

    def _status(self, campaign: str, status: str) -> RemoteEmail:
        data = self.http.request(
            "PUT", f"/campaigns/{campaign}/status", json={"status": status}
        ).json()["data"]
        return self._remote(data)

    def _fetch_raw(self, campaign: str) -> dict[str, Any]:
        data: dict[str, Any] = self.http.request("GET", f"/campaigns/{campaign}").json()["data"]
        return data

    def _fetch(self, campaign: str) -> RemoteEmail:
        return self._remote(self._fetch_raw(campaign))

    def _remote(self, item: dict[str, Any]) -> RemoteEmail:
        tags = [str(t) for t in item.get("tags") or []]
        key = next((t[len(TAG) + 1 :] for t in tags if t.startswith(f"{TAG}:")), None)
        status = str(item.get("status", ""))
        send_at = item.get("send_at")
        return RemoteEmail(
            id=str(item["id"]),
            key=key,
            state=_STATES.get(status, "sent"),
            status=status,
            content_hash=(item.get("attribs") or {}).get("mailer_hash"),
            publish_at=parse_time(send_at),
            url="",
            managed=key is not None,
        )
