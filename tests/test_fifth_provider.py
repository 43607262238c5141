"""A provider is its declaration and its code: a fifth one, written here and nowhere else in
mailer, is registered, scaffolded by `init`, checked in the settings, and planned by a dry-run
sync against a tiny fake of its API on 127.0.0.1. Nothing outside providers/ and tests/ changes
(the architecture test keeps provider names out of every other folder)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from mailer.core import provider_facts
from mailer.core.config import load_settings
from mailer.core.errors import ConfigError, UnsupportedFeature
from mailer.core.provider_facts import Option, ProviderFacts, TemplateLanguage
from mailer.init.repository import start_newsletter
from mailer.providers import PROVIDERS, get_provider, register
from mailer.providers.base import Draft, Provider, RemoteEmail, Target, parse_time, read_marker
from mailer.sync import sync

POSTBOX = ProviderFacts(
    name="postbox",
    display_name="Postbox",
    docs="https://postbox.invalid/api",
    api_key_env=("MAILER_POSTBOX_API_KEY", "POSTBOX_API_KEY"),
    base_url_env="MAILER_POSTBOX_BASE_URL",
    base_url_in_config=False,
    permissions="a key that may write drafts",
    options_schema=(Option("list", "text", "the list to send to", '"weekly"', required=True),),
    language=TemplateLanguage("Postbox", "{{ unsubscribe }}", frozenset({"unsubscribe"})),
    scaffold='[provider.postbox]\nlist = ""               # required: the list to send to\n',
)


class PostboxProvider(Provider):
    """Postbox's API, as small as a provider can be: emails listed, read and created."""

    facts: ClassVar[ProviderFacts] = POSTBOX
    default_base_url: ClassVar[str] = ""

    @staticmethod
    def auth_headers(api_key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}"}

    def _remote(self, item: dict[str, Any]) -> RemoteEmail:
        mark = read_marker(str(item.get("marker", ""))) or (None, None)
        return RemoteEmail(
            id=self._stamp(item, "an email"),
            key=mark[0],
            state="scheduled" if item.get("send_at") else "draft",
            status=str(item.get("status", "draft")),
            content_hash=mark[1],
            publish_at=parse_time(item.get("send_at")),
        )

    def list_emails(self) -> list[RemoteEmail]:
        page = self.http.json_object("GET", "/emails")
        return [self._remote(item) for item in page.get("results", [])]

    def get(self, remote_id: str) -> RemoteEmail:
        return self._remote(self.http.json_object("GET", f"/emails/{remote_id}"))

    def create(self, draft: Draft) -> RemoteEmail:
        body = {"subject": draft.subject, "html": draft.html, "marker": draft.marker}
        return self._remote(self.http.json_object("POST", "/emails", json=body))

    def update(
        self, remote: RemoteEmail, draft: Draft, target: Target, *, content: bool = True
    ) -> None:
        body = {"subject": draft.subject, "html": draft.html, "marker": draft.marker}
        body["send_at"] = target.at.isoformat() if target.at else None
        self.http.json_object("PATCH", f"/emails/{remote.id}", json=body)

    def unschedule(self, remote: RemoteEmail) -> None:
        raise UnsupportedFeature(self.display_name, "cannot unschedule in this test")

    def release(self, remote: RemoteEmail, key: str) -> None:
        raise UnsupportedFeature(self.display_name, "cannot release in this test")

    def send_test(self, remote: RemoteEmail, recipients: list[str]) -> None:
        raise UnsupportedFeature(self.display_name, "has no test send")


class FakePostbox(BaseHTTPRequestHandler):
    """Postbox's whole API: GET /emails, GET /emails/<id>, POST /emails, PATCH /emails/<id>."""

    emails: ClassVar[list[dict[str, Any]]] = []
    requests: ClassVar[list[str]] = []

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.requests.append(f"GET {self.path}")
        if self.headers.get("Authorization") != "Bearer pb-key-0123456789":
            self._answer(401, {"error": "bad key"})
        elif self.path == "/emails":
            self._answer(200, {"results": self.emails})
        else:
            found = [e for e in self.emails if f"/emails/{e['id']}" == self.path]
            self._answer(200, found[0]) if found else self._answer(404, {"error": "no such"})

    def do_POST(self) -> None:
        self.requests.append(f"POST {self.path}")
        length = int(self.headers.get("Content-Length", 0))
        item = {**json.loads(self.rfile.read(length)), "id": len(self.emails) + 1}
        self.emails.append(item)
        self._answer(201, item)

    def do_PATCH(self) -> None:
        self.requests.append(f"PATCH {self.path}")
        length = int(self.headers.get("Content-Length", 0))
        found = [e for e in self.emails if f"/emails/{e['id']}" == self.path]
        if not found:
            self._answer(404, {"error": "no such"})
            return
        found[0].update(json.loads(self.rfile.read(length)))
        self._answer(200, found[0])

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def postbox() -> Iterator[str]:
    """Postbox registered (and forgotten afterwards), its fake serving on 127.0.0.1."""
    register(PostboxProvider)
    FakePostbox.emails, FakePostbox.requests = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakePostbox)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        PROVIDERS.pop("postbox")
        provider_facts._declared.pop("postbox")


def test_a_fifth_provider_is_scaffolded_checked_and_planned(postbox: str, tmp_path: Path):
    folder = tmp_path / "news"
    start_newsletter(folder, name="Field Notes", provider="postbox", today=date(2027, 1, 4))
    toml = (folder / "newsletter.toml").read_text()
    assert 'name = "postbox"' in toml and "[provider.postbox]" in toml
    assert "postbox" in toml.split("[provider]")[1].splitlines()[1]  # the known names' comment
    publish = (folder / ".github" / "workflows" / "publish.yml").read_text()
    assert "MAILER_POSTBOX_API_KEY: ${{ secrets.POSTBOX_API_KEY }}" in publish
    assert (folder / "README.md").read_text().count("`POSTBOX_API_KEY`") == 1

    # the settings check: the scaffolded table loads; a value of the wrong kind names its key
    settings = load_settings(folder / "newsletter.toml", env={})
    assert settings.template_language.unsubscribe_tag == "{{ unsubscribe }}"
    (folder / "newsletter.toml").write_text(toml.replace('list = ""', "list = 3"))
    with pytest.raises(ConfigError, match=r"provider\.postbox\.list must be the list"):
        load_settings(folder / "newsletter.toml", env={})
    (folder / "newsletter.toml").write_text(toml)
    env = {"MAILER_POSTBOX_API_KEY": "pb-key-0123456789", "MAILER_POSTBOX_BASE_URL": postbox}
    with pytest.raises(ConfigError, match=r"Postbox needs provider\.postbox\.list"):
        get_provider(settings, env)  # sending needs the list; nothing was asked yet
    assert FakePostbox.requests == []

    (folder / "newsletter.toml").write_text(toml.replace('list = ""', 'list = "weekly"'))
    settings = load_settings(folder / "newsletter.toml", env={})
    soon = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S%z")
    (folder / "issues" / "next.md").write_text(
        f"---\ntitle: Next\ndate: {soon[:10]}\nsend_at: {soon}\n---\nHello, readers.\n"
    )
    provider = get_provider(settings, env, sleep=lambda _: None)
    report = sync([folder / "issues"], settings, provider, dry_run=True)
    planned = {step.key: step.action for step in report.steps}
    assert planned["next"] == "create"
    assert FakePostbox.requests and all(r.startswith("GET ") for r in FakePostbox.requests)
    assert FakePostbox.emails == []  # a dry run writes nothing

    # and the real run writes it, read back through the same fake
    report = sync([folder / "issues"], settings, provider)
    assert not report.failed, report
    emails = {e["subject"]: e for e in FakePostbox.emails}  # the next issue, and init's draft
    assert emails["Next"]["send_at"][:10] == soon[:10] and "send_at" not in emails["Field Notes #1"]
    assert "{{ unsubscribe }}" in emails["Next"]["html"]  # its own unsubscribe tag
