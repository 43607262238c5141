"""test-send against a real SMTP server (aiosmtpd) on 127.0.0.1: plain, STARTTLS, SSL, AUTH."""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from conftest import SAMPLE
from mailer.core.errors import SendError
from mailer.issue.load import load_issue
from mailer.render.pipeline import render_issue
from mailer.smtp.send import send_test_smtp
from mailer.smtp.settings import smtp_settings

USER, PASSWORD = "editor", "s3cret-Pa55word"
SAMPLE_ISSUE = SAMPLE / "issues" / "2026-11-13-metrics.md"


@dataclass
class Inbox:
    messages: list[Any] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(ca) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def trust(ca, tmp_path, monkeypatch):
    """Make the test CA trusted the way a user would: SSL_CERT_FILE."""
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    monkeypatch.setenv("SSL_CERT_FILE", str(path))
    return path


def serve(**kwargs: Any) -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def plain():
    yield from serve()


@pytest.fixture
def starttls(server_tls):
    # AUTH PLAIN only: smtplib retries with LOGIN after a failure, which aiosmtpd 1.4 answers
    # by waiting for more input; real servers reject it at once
    yield from serve(
        tls_context=server_tls,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=True,
        auth_exclude_mechanism=["LOGIN"],
    )


@pytest.fixture
def implicit_tls(server_tls):
    yield from serve(
        ssl_context=server_tls,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
    )


@pytest.fixture
def rendered(repo_settings):
    return render_issue(load_issue(SAMPLE_ISSUE, repo_settings), repo_settings)


def smtp(repo_settings, port, security="none", password=PASSWORD, username=USER, **extra):
    env = {
        "MAILER_SMTP_HOST": "127.0.0.1",
        "MAILER_SMTP_PORT": str(port),
        "MAILER_SMTP_SECURITY": security,
        "MAILER_SMTP_USERNAME": username,
        "MAILER_SMTP_PASSWORD": password,
        **extra,
    }
    return smtp_settings(repo_settings, env)


def received(inbox: Inbox) -> Any:
    assert len(inbox.messages) == 1
    return email.message_from_bytes(inbox.messages[0].content, policy=email.policy.default)


def test_plain_delivery_is_the_built_message_marked_as_a_test(plain, rendered, repo_settings):
    inbox, port = plain
    subject = send_test_smtp(
        rendered, repo_settings, smtp(repo_settings, port, username=""), ["me@example.org"]
    )
    msg = received(inbox)
    assert msg["Subject"] == subject and subject.endswith("] #2 - Measuring what matters")
    assert subject.startswith("[TEST ")
    assert (
        msg["To"] == "me@example.org"
        and msg["From"].addresses[0].addr_spec == "editor@labnotes.example.org"
    )
    assert msg["Date"] and msg["Message-ID"]
    text, html = list(msg.iter_parts())
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert html.get_content().replace("\r\n", "\n") == rendered.html
    assert text.get_content().replace("\r\n", "\n") == rendered.text
    assert inbox.messages[0].rcpt_tos == ["me@example.org"]


def test_two_test_sends_do_not_thread(plain, rendered, repo_settings):
    inbox, port = plain
    settings = smtp(repo_settings, port, username="")
    first = send_test_smtp(rendered, repo_settings, settings, ["me@example.org"])
    second = send_test_smtp(rendered, repo_settings, settings, ["me@example.org"])
    assert first != second
    ids = {m.content.split(b"Message-ID: ")[1].split(b"\r\n")[0] for m in inbox.messages}
    assert len(ids) == 2


def test_starttls_and_auth(starttls, rendered, repo_settings, trust):
    inbox, port = starttls
    send_test_smtp(rendered, repo_settings, smtp(repo_settings, port, "starttls"), ["me@x.org"])
    assert received(inbox)["To"] == "me@x.org"


def test_implicit_tls(implicit_tls, rendered, repo_settings, trust):
    inbox, port = implicit_tls
    send_test_smtp(rendered, repo_settings, smtp(repo_settings, port, "ssl"), ["me@x.org"])
    assert len(inbox.messages) == 1


def test_wrong_password(starttls, rendered, repo_settings, trust):
    _, port = starttls
    with pytest.raises(SendError) as caught:
        send_test_smtp(
            rendered,
            repo_settings,
            smtp(repo_settings, port, "starttls", password="wrong-pw-123"),
            ["me@x.org"],
        )
    assert str(caught.value).startswith(f"127.0.0.1:{port}: login refused for 'editor': 535")
    assert "wrong-pw-123" not in str(caught.value)


def test_untrusted_certificate(starttls, rendered, repo_settings, tmp_path, monkeypatch):
    _, port = starttls
    other = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other))  # trusts some other CA only
    monkeypatch.setenv("SSL_CERT_FILE", str(other))
    with pytest.raises(SendError, match="TLS certificate is not trusted"):
        send_test_smtp(rendered, repo_settings, smtp(repo_settings, port, "starttls"), ["a@x.org"])


def test_refused_connection(rendered, repo_settings):
    port = free_port()
    with pytest.raises(SendError) as caught:
        send_test_smtp(rendered, repo_settings, smtp(repo_settings, port), ["a@x.org"])
    assert (
        str(caught.value) == f"127.0.0.1:{port}: connection refused (is the host and port right?)"
    )


def test_rejected_recipient(plain, rendered, repo_settings):
    inbox, port = plain
    inbox.refuse.add("nobody@x.org")
    with pytest.raises(SendError) as caught:
        send_test_smtp(
            rendered, repo_settings, smtp(repo_settings, port, username=""), ["nobody@x.org"]
        )
    assert "recipient refused: nobody@x.org: 550 5.1.1 No such user here" in str(caught.value)


def test_starttls_required_but_not_offered(plain, rendered, repo_settings):
    _, port = plain
    with pytest.raises(SendError, match="does not offer STARTTLS"):
        send_test_smtp(rendered, repo_settings, smtp(repo_settings, port, "starttls"), ["a@x.org"])


def test_cli_test_send_never_prints_the_password(starttls, ca, tmp_path):
    _, port = starttls
    pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    env = {
        "PATH": "/usr/bin:/bin",
        "SSL_CERT_FILE": str(pem),
        "MAILER_SMTP_HOST": "127.0.0.1",
        "MAILER_SMTP_PORT": str(port),
        "MAILER_SMTP_USERNAME": USER,
        "MAILER_SMTP_PASSWORD": PASSWORD,
        "MAILER_TEST_TO": "me@x.org",
    }

    def run(**extra):
        return subprocess.run(
            [sys.executable, "-m", "mailer", "test-send", str(SAMPLE_ISSUE)],
            cwd=SAMPLE,
            env={**env, **extra},
            capture_output=True,
            text=True,
        )

    ok = run()
    assert ok.returncode == 0, ok.stderr
    assert "sent '[TEST " in ok.stdout and f"via 127.0.0.1:{port}" in ok.stdout
    bad = run(MAILER_SMTP_PASSWORD="Hunter2-not-right")
    assert bad.returncode == 1 and "login refused" in bad.stderr
    for result in (ok, bad):
        assert PASSWORD not in result.stdout + result.stderr
        assert "Hunter2-not-right" not in result.stdout + result.stderr
        assert "Traceback" not in result.stderr


def test_provider_test_send_uses_the_sync_path(provider, buttondown, repo_settings):
    from datetime import UTC, datetime, timedelta

    from mailer.providers import Target
    from mailer.sync import push, test_send_via_provider

    rendered = render_issue(load_issue(SAMPLE_ISSUE, repo_settings), repo_settings)
    result = test_send_via_provider(provider, rendered, repo_settings, ["me@example.org"])
    assert result.action == "created" and result.state == "draft"
    assert buttondown.test_sends == [(result.remote_id, ["me@example.org"])]
    assert buttondown.sent_to_list == []
    # a scheduled email keeps its schedule; nothing new is scheduled
    when = datetime.now(UTC) + timedelta(days=2)
    push(rendered, Target("scheduled", when), repo_settings, provider)
    test_send_via_provider(provider, rendered, repo_settings, ["me@example.org"])
    email_ = buttondown.emails[result.remote_id]
    assert email_["status"] == "scheduled" and len(buttondown.test_sends) == 2
