"""Secrets never reach any output: the one place that knows them, and the one redaction.

Every secret mailer reads (an API key, an SMTP password, the headers made from them) is
registered here as it is read. Text that can carry words from outside — a provider's error
body, an SMTP server's reply, an exception message — goes through ``redact`` before anyone
prints it: errors format themselves through it, and the CLI passes every line it writes.

A server can echo a secret in another form than it was sent, so each is registered as sent,
stripped, URL-encoded, JSON-escaped, and base64-encoded at each of the three byte alignments (a
key inside ``Basic base64("user:key")`` or an SMTP ``AUTH PLAIN`` blob is found too).
"""

from __future__ import annotations

import base64
import io
import json
from typing import TextIO
from urllib.parse import quote, quote_plus

MASK = "[redacted]"
SHORTEST = 6  # shorter forms would mask ordinary words; no real key or password is this short

_known: set[str] = set()
_ordered: list[str] = []  # longest first, so a longer form is masked before its parts


def register(secret: str) -> None:
    """Remember a secret (and the forms it could come back in) for the rest of the process."""
    if not secret:
        return
    before = len(_known)
    for form in _forms(secret):
        if len(form) >= SHORTEST:
            _known.add(form)
    if len(_known) != before:
        _ordered[:] = sorted(_known, key=len, reverse=True)


def redact(text: str) -> str:
    """`text` with every registered secret, in any of its forms, replaced by [redacted]."""
    if not _ordered or not text:
        return text
    for form in _ordered:
        if form in text:
            text = text.replace(form, MASK)
    return text


def forget_all() -> None:
    """For tests: a clean slate."""
    _known.clear()
    _ordered.clear()


def _forms(secret: str) -> set[str]:
    forms = {secret, secret.strip(), quote(secret, safe=""), quote_plus(secret)}
    forms.add(json.dumps(secret)[1:-1])
    raw = secret.encode("utf-8", "surrogateescape")
    for shift in range(3):
        # encoded after `shift` other bytes: the characters that depend on the secret alone
        encoded = base64.b64encode(b"\0" * shift + raw).decode("ascii")
        start = (shift * 4 + 2) // 3  # skip characters that mix in the bytes before it
        end = len(encoded) - 4  # and the last group, which mixes in what comes after
        core = encoded[start:end] if end > start else ""
        forms.add(core)
        forms.add(core.replace("+", "-").replace("/", "_"))  # URL-safe alphabet
    forms.add(base64.b64encode(raw).decode("ascii"))
    return {form for form in forms if form}


class RedactingStream(io.TextIOBase):
    """A text stream that masks secrets in everything written through it (the CLI's stdout
    and stderr, tracebacks with --debug included)."""

    def __init__(self, inner: TextIO) -> None:
        super().__init__()
        self.inner = inner

    def write(self, text: str) -> int:
        self.inner.write(redact(text))
        return len(text)

    def flush(self) -> None:
        self.inner.flush()

    def isatty(self) -> bool:
        return self.inner.isatty()

    def fileno(self) -> int:
        return self.inner.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.inner.encoding

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return self.inner.errors
