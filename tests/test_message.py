from __future__ import annotations

import email
import email.policy

import pytest

from mailer.build.message import build_message
from mailer.core.errors import ConfigError
from mailer.issue.load import load_issue
from mailer.render.pipeline import render_issue


@pytest.fixture
def rendered(write_issue, make_settings):
    settings = make_settings(sender="Café Notes <news@example.org>")
    path = write_issue("""
        ---
        title: "Ünïcode subject — with a long tail that needs folding in the header line ✅"
        subtitle: Preheader
        date: 2024-03-01
        ---
        Hello *world*, with a [link](https://example.org/a-very-long-path-that-needs-soft-breaks-in-quoted-printable).
    """)
    return render_issue(load_issue(path, settings), settings), settings


def test_message_parses_with_both_parts_text_first(rendered):
    result, settings = rendered
    raw = build_message(result, settings)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert parts[0].get_content().replace("\r\n", "\n") == result.text
    assert parts[1].get_content().replace("\r\n", "\n") == result.html
    assert msg["Subject"] == result.subject
    assert msg["From"].addresses[0].display_name == "Café Notes"
    assert msg["Date"].datetime == result.issue.send_at
    assert msg["Message-ID"].startswith("<issue.") and msg["Message-ID"].endswith("@example.org>")


def test_message_is_7bit_with_short_lines_and_crlf(rendered):
    result, settings = rendered
    raw = build_message(result, settings)
    assert raw.isascii()
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78


def test_same_issue_same_bytes_and_recipients(rendered):
    result, settings = rendered
    assert build_message(result, settings) == build_message(result, settings)
    msg = email.message_from_bytes(
        build_message(result, settings, to=["me@example.org"], subject="[TEST] x"),
        policy=email.policy.default,
    )
    assert msg["To"] == "me@example.org" and msg["Subject"] == "[TEST] x"


def test_sender_must_be_an_address(rendered, make_settings):
    result, _ = rendered
    with pytest.raises(ConfigError, match=r"newsletter\.from"):
        build_message(result, make_settings(sender="nobody"))
