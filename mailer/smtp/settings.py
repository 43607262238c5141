"""Where test emails go out: ``[smtp]`` in newsletter.toml, overridden by ``MAILER_SMTP_*``.

The password comes only from ``MAILER_SMTP_PASSWORD``, never from the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mailer.core.addresses import mailbox, recipients
from mailer.core.config import Settings, read_secret
from mailer.core.errors import ConfigError

SECURITY_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True)
class SmtpSettings:
    """Where test emails go out. The password comes only from MAILER_SMTP_PASSWORD."""

    host: str
    port: int
    security: str
    username: str
    password: str = field(repr=False)
    sender: str
    to: tuple[str, ...]

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


def smtp_settings(settings: Settings, env: Mapping[str, str] | None = None) -> SmtpSettings:
    """[smtp] in newsletter.toml, overridden by MAILER_SMTP_* variables."""
    env = os.environ if env is None else env
    table = dict(settings.smtp)

    def pick(name: str, var: str, default: Any = "") -> Any:
        return env.get(var) or table.get(name, default)

    host = str(pick("host", "MAILER_SMTP_HOST"))
    if not host:
        raise ConfigError(
            "No SMTP server for test sends: set MAILER_SMTP_HOST "
            "(or [smtp] host in newsletter.toml), or use --via provider"
        )
    security = str(pick("security", "MAILER_SMTP_SECURITY", "starttls")).lower()
    if security not in SECURITY_PORTS:
        raise ConfigError(f"smtp security must be starttls, ssl or none, not {security!r}")
    port_value = pick("port", "MAILER_SMTP_PORT", SECURITY_PORTS[security])
    try:
        port = int(port_value)
    except (TypeError, ValueError, OverflowError):
        port = 0
    if not 0 < port < 65536:
        raise ConfigError(f"smtp port must be a number from 1 to 65535, not {port_value!r}")
    to = pick("to", "MAILER_TEST_TO")
    listed = tuple(str(a) for a in to) if isinstance(to, list) else (str(to),)
    test_to = tuple(recipients(listed, "MAILER_TEST_TO (or [smtp] to)"))
    from_env = env.get("MAILER_FROM")
    if from_env:
        mailbox(from_env, "MAILER_FROM")
    return SmtpSettings(
        host=host,
        port=port,
        security=security,
        username=str(pick("username", "MAILER_SMTP_USERNAME")),
        password=read_secret(("MAILER_SMTP_PASSWORD",), env) or "",
        sender=from_env or settings.sender,
        to=test_to,
    )
