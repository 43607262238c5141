"""The rendered issue as a real email: multipart/alternative, text part first, HTML second.

``mailer build`` writes this message as ``.eml``; test-send sends the same bytes with a marked
subject. Date, Message-ID and MIME boundary derive from the content, so the same issue always
gives the same bytes. The MIME is written here rather than by ``email.message``, whose
pure-Python encoders took longer than rendering the issue: the text part is quoted-printable
(readable in the source), the HTML part base64 (encoded in C, about twice as fast again).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from email.header import Header
from email.utils import format_datetime, formataddr

from mailer.core.addresses import mailbox, recipients
from mailer.core.config import Settings
from mailer.render.pipeline import Rendered


def bytes_hash(rendered: Rendered) -> str:
    """A digest of everything a subscriber would see: the message's boundary and id."""
    digest = hashlib.sha256()
    for part in (
        rendered.subject,
        rendered.preheader,
        rendered.html,
        rendered.text,
        rendered.issue.send_at.isoformat(),
    ):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def sender(settings: Settings) -> tuple[str, str]:
    """(display name, address) of the newsletter's From."""
    name, addr = mailbox(settings.sender, "newsletter.from")
    return name or settings.name, addr


def _header(value: str) -> str:
    """A header value, RFC 2047-encoded when it is not ASCII, folded under 78 columns."""
    return Header(
        value, "utf-8" if not value.isascii() else "us-ascii", header_name="Subject"
    ).encode(linesep="\r\n")


def _part(content_type: str, body: str, *, readable: bool) -> bytes:
    """One MIME part: quoted-printable when people may read the source, else base64 (faster)."""
    data = body.encode("utf-8")
    if readable:
        encoding, encoded = "quoted-printable", binascii.b2a_qp(data, istext=True)
    else:
        encoding, encoded = "base64", base64.encodebytes(data)
    head = (
        f'Content-Type: {content_type}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    ).encode("ascii")
    return head + encoded.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def build_message(
    rendered: Rendered,
    settings: Settings,
    *,
    to: list[str] | None = None,
    subject: str | None = None,
    message_id: str | None = None,
    date: str | None = None,
) -> bytes:
    """The email a subscriber receives, as bytes with CRLF line endings."""
    digest = bytes_hash(rendered)
    name, addr = sender(settings)
    to = recipients(to, "the test recipients") if to else None
    domain = addr.rpartition("@")[2]
    boundary = f"=_mailer_{digest[:24]}"
    headers = [
        ("From", formataddr((name, addr), charset="utf-8")),
        ("To", ", ".join(to) if to else "undisclosed-recipients:;"),
        ("Subject", _header(subject or rendered.subject)),
        ("Date", date or format_datetime(rendered.issue.send_at)),
        ("Message-ID", message_id or f"<{rendered.issue.slug}.{digest[:16]}@{domain}>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", f'multipart/alternative;\r\n boundary="{boundary}"'),
    ]
    head = "".join(f"{key}: {value}\r\n" for key, value in headers).encode("ascii")
    sep = f"\r\n--{boundary}\r\n".encode("ascii")
    return (
        head
        + b"\r\nThis is a multi-part message in MIME format.\r\n"
        + sep
        + _part("text/plain", rendered.text, readable=True)
        + sep
        + _part("text/html", rendered.html, readable=False)
        + f"\r\n--{boundary}--\r\n".encode("ascii")
    )
