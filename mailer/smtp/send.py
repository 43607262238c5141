"""test-send over SMTP: the exact rendered email, marked as a test, to the editor's inbox.

Certificates are verified against the system's trust store (or the file SSL_CERT_FILE names).
Every failure is one line naming host:port and the server's own reply; the password never
appears in any of them.
"""

from __future__ import annotations

import secrets
import smtplib
import socket
import ssl
from datetime import UTC, datetime
from email.utils import format_datetime, make_msgid, parseaddr

from mailer.build.message import build_message
from mailer.core.config import Settings, with_overrides
from mailer.core.errors import SendError
from mailer.render.pipeline import Rendered
from mailer.smtp.settings import SmtpSettings


def test_subject(subject: str, token: str | None = None) -> str:
    """The subject marked as a test, with a short token so Gmail does not thread repeats."""
    return f"[TEST {token or secrets.token_hex(3)}] {subject}"


def test_message(
    rendered: Rendered,
    settings: Settings,
    smtp: SmtpSettings,
    to: list[str],
    token: str | None = None,
) -> bytes:
    """The build's message, addressed to `to`, marked as a test, dated now, with a fresh id."""
    domain = parseaddr(smtp.sender)[1].rpartition("@")[2] or "localhost"
    return build_message(
        rendered,
        with_overrides(settings, sender=smtp.sender),
        to=to,
        subject=test_subject(rendered.subject, token),
        message_id=make_msgid(idstring="mailer-test", domain=domain),
        date=format_datetime(datetime.now(UTC)),
    )


def send_test_smtp(
    rendered: Rendered, settings: Settings, smtp: SmtpSettings, to: list[str]
) -> str:
    """Send the test email; returns the subject it went out with."""
    if not to:
        raise SendError(smtp.server, "no recipient: pass --to ADDRESS or set MAILER_TEST_TO")
    token = secrets.token_hex(3)
    message = test_message(rendered, settings, smtp, to, token)
    context = ssl.create_default_context()
    try:
        if smtp.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=20, context=context
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=20)
        with client:
            client.ehlo()
            if smtp.security == "starttls":
                if not client.has_extn("starttls"):
                    raise SendError(
                        smtp.server,
                        "the server does not offer STARTTLS "
                        "(set security to ssl, or none for a local test server)",
                    )
                client.starttls(context=context)
                client.ehlo()
            if smtp.username:
                client.login(smtp.username, smtp.password)
            _, sender = (
                smtp.sender.rpartition("<")[::2] if "<" in smtp.sender else ("", smtp.sender)
            )
            client.sendmail(sender.rstrip(">").strip(), to, message)
    except SendError:
        raise
    except UnicodeEncodeError:
        # smtplib writes AUTH in ASCII only; the message names neither value
        raise SendError(
            smtp.server,
            "the SMTP username or password holds characters SMTP login cannot carry "
            "(only ASCII letters, digits and symbols)",
        ) from None
    except ssl.SSLCertVerificationError as exc:
        raise SendError(
            smtp.server, f"the server's TLS certificate is not trusted ({exc.verify_message})"
        ) from None
    except ssl.SSLError as exc:
        raise SendError(smtp.server, f"TLS failed ({exc.reason or exc})") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(
            smtp.server,
            f"login refused for {smtp.username!r}: {exc.smtp_code} {_text(exc.smtp_error)}",
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        refused = "; ".join(
            f"{addr}: {code} {_text(msg)}" for addr, (code, msg) in exc.recipients.items()
        )
        raise SendError(smtp.server, f"recipient refused: {refused}") from None
    except smtplib.SMTPSenderRefused as exc:
        raise SendError(
            smtp.server, f"sender {exc.sender!r} refused: {exc.smtp_code} {_text(exc.smtp_error)}"
        ) from None
    except smtplib.SMTPResponseException as exc:
        raise SendError(
            smtp.server, f"the server said {exc.smtp_code} {_text(exc.smtp_error)}"
        ) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise SendError(smtp.server, f"the server does not support this: {exc}") from None
    except ConnectionRefusedError:
        raise SendError(smtp.server, "connection refused (is the host and port right?)") from None
    except TimeoutError:
        raise SendError(smtp.server, "no answer (timed out)") from None
    except socket.gaierror as exc:
        raise SendError(smtp.server, f"unknown host ({exc.strerror})") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(smtp.server, f"sending failed ({exc})") from None
    return test_subject(rendered.subject, token)


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
