"""Secrets never reach any output: the one place that knows them, and the one redaction.

Every secret mailer reads (an API key, an SMTP password, the headers made from them) is
registered here as it is read. Text that can carry words from outside — a provider's error
body, an SMTP server's reply, an exception message — goes through ``redact`` before anyone
prints it or cuts it short: errors format themselves through it, and the CLI passes every line
it writes.

Redaction goes by shape, not by string. A server can echo a secret in another form than it was
sent, or only part of it, so each secret (and each part of it a provider treats as the secret
on its own, such as Mailchimp's key without its ``-us21``) is registered in every form it could
come back in: as sent, stripped, upper and lower case, percent-encoded with upper- or
lower-case digits, JSON-escaped, hex, and base64 at each of the three byte alignments (a key
inside ``Basic base64("user:key")`` or an SMTP ``AUTH PLAIN`` blob), standard and URL-safe.
Then every 8-character piece of every form is masked wherever it occurs, so a form cut short,
or split over the lines of a multi-line reply (``535-…`` / ``535 …``), shows at most 7
characters on either side of a cut, never a piece that narrows the secret down.
"""

from __future__ import annotations

import base64
import io
import json
import re
from typing import TextIO
from urllib.parse import quote, quote_plus

MASK = "[redacted]"
SHORTEST = 6  # shorter forms would mask ordinary words; no real key or password is this short
PIECE = 8  # a form is masked wherever any PIECE characters of it occur

_short: set[str] = set()  # forms of SHORTEST..PIECE-1 characters: masked where whole
_pieces: set[str] = set()  # every PIECE-character window of every longer form
_short_pattern: re.Pattern[str] | None = None
# what separates the lines of a multi-line server reply: a line break, then the reply code and
# enhanced status code that start the next line (SMTP's "535-5.7.8 ", "535 5.7.8 ")
_LINE_BREAK = re.compile(r"\r?\n(?:\d{3}[ -])?(?:\d\.\d{1,3}\.\d{1,3} )?[ \t]*")


def register(secret: str, *parts: str) -> None:
    """Remember a secret, and any parts of it that are secret on their own, in every form they
    could come back in, for the rest of the process."""
    global _short_pattern
    short_before = len(_short)
    for value in (secret, *parts):
        for form in _forms(value) if value else ():
            if len(form) >= PIECE:
                _pieces.update(form[i : i + PIECE] for i in range(len(form) - PIECE + 1))
            elif len(form) >= SHORTEST:
                _short.add(form)
    if len(_short) != short_before:
        ordered = sorted(_short, key=len, reverse=True)
        _short_pattern = re.compile("|".join(re.escape(form) for form in ordered))


def redact(text: str) -> str:
    """`text` with every registered secret, in any of its forms, whole or in pieces of 8
    characters or more, replaced by [redacted]."""
    if not text or not (_pieces or _short):
        return text
    masked = _masked(text)
    if "\n" in text:  # the same, read as if the lines of a reply were one
        masked |= _masked_across_lines(text)
    if not masked:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        if i in masked:
            while i in masked:
                i += 1
            out.append(MASK)
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def forget_all() -> None:
    """For tests: a clean slate."""
    global _short_pattern
    _short.clear()
    _pieces.clear()
    _short_pattern = None


def _masked(text: str) -> set[int]:
    """The positions of `text` that belong to a registered form or a piece of one."""
    masked: set[int] = set()
    pieces = _pieces
    if pieces:
        for i in range(len(text) - PIECE + 1):
            if text[i : i + PIECE] in pieces:
                masked.update(range(i, i + PIECE))
    if _short_pattern is not None:
        for match in _short_pattern.finditer(text):
            masked.update(range(match.start(), match.end()))
    return masked


def _masked_across_lines(text: str) -> set[int]:
    """Positions of `text` masked when its lines are read as one (their breaks and reply codes
    left out): a base64 blob split over two reply lines is found as one."""
    joined: list[str] = []
    where: list[int] = []  # where each character of `joined` is in `text`
    last = 0
    for gap in _LINE_BREAK.finditer(text):
        joined.append(text[last : gap.start()])
        where.extend(range(last, gap.start()))
        last = gap.end()
    joined.append(text[last:])
    where.extend(range(last, len(text)))
    return {where[i] for i in _masked("".join(joined))}


def _forms(secret: str) -> set[str]:
    forms = {secret, secret.strip(), secret.upper(), secret.lower()}
    for encoded in (quote(secret, safe=""), quote_plus(secret)):
        forms.add(encoded)
        forms.add(re.sub(r"%[0-9A-F]{2}", lambda m: m[0].lower(), encoded))
    forms.add(json.dumps(secret)[1:-1])
    forms.add(json.dumps(secret, ensure_ascii=False)[1:-1])
    raw = secret.encode("utf-8", "surrogateescape")
    forms.add(raw.hex())
    forms.add(raw.hex().upper())
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

    def write(self, text: str | bytes) -> int:
        # click writes bytes now and then (shell completion): masked all the same
        if isinstance(text, bytes):
            text = text.decode(self.encoding or "utf-8", "replace")
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
