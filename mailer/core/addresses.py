"""Email addresses from people and the environment, checked before any header is written.

A header value with a line break in it is a header of its own: a test recipient of
``me@example.org\\r\\nBcc: everyone@…`` would add a Bcc. So every address mailer writes into a
message — the newsletter's From, test recipients from ``--to``, ``MAILER_TEST_TO`` or
``[smtp] to`` — comes through here: one line, one mailbox, a plausible ``local@domain``.
"""

from __future__ import annotations

import re
import unicodedata
from email.utils import formataddr, getaddresses, parseaddr

from mailer.core.errors import ConfigError
from mailer.core.limits import shown

# local@domain: no white space, quotes, brackets or separators; a dot in the domain (or a
# single label such as localhost); what mail servers accept from people is wider, but nothing
# narrower would be a newsletter's address
_ADDRESS = re.compile(r"[^@\s\"<>(),;:\\\[\]]{1,64}@(?:[^@\s\"<>(),;:\\\[\].]{1,63}\.?)+")


def _clean(value: str, what: str) -> str:
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value):
        raise ConfigError(f"{what} holds a line break or a control character: {shown(value)}")
    return value.strip()


def mailbox(value: str, what: str) -> tuple[str, str]:
    """(display name, address) of one ``Name <address>`` or bare address; ConfigError if not."""
    text = _clean(value, what)
    found = getaddresses([text])
    name, address = parseaddr(text) if len(found) == 1 else ("", "")
    if not _ADDRESS.fullmatch(address) or len(address) > 254:
        raise ConfigError(
            f'{what} must be an email address like "Name <you@example.org>", not {shown(value)}'
        )
    return name, address


def recipients(values: list[str] | tuple[str, ...], what: str) -> list[str]:
    """Plain addresses from a list of values, each of which may hold several, comma-separated."""
    found: list[str] = []
    for value in values:
        text = _clean(value, what)
        for name, address in getaddresses([text]):
            if not address and not name:
                continue
            _, checked = mailbox(formataddr((name, address)) if name else address, what)
            found.append(checked)
    return found
