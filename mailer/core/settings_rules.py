"""What a setting's value may be, beyond its type: ranges, the placeholders of `archive_path`,
what an address may not hold. A leaf: ``config`` words the errors; the settings fuzzer
(tests/fuzzing_settings.py) throws odd values at every command to keep these honest."""

from __future__ import annotations

import math
import re
import string
from typing import Any

from mailer.core.errors import ConfigError

# a provider's answer is waited for at least this long and at most this long (seconds)
MIN_TIMEOUT, MAX_TIMEOUT = 0.1, 600.0
# whole numbers whose range the type does not say (width and logo_width: config._validate)
WHOLE_RANGES = {"grace_minutes": (0, 7 * 24 * 60), "feed_items": (0, 1000)}
# the placeholders archive_path may hold, and the characters of an address's path around them
ARCHIVE_FIELDS = {"slug"}
_PATH_TEXT = re.compile(r"[A-Za-z0-9._~/-]*")
# what an address in a setting may never hold: it would end the attribute or the line it is in
_NOT_IN_ADDRESS = re.compile(r"""[\s"'<>\\`]|[^\x20-\x7e\u00a0-\U0010ffff]""")


def timeout_ok(value: float) -> bool:
    """A finite number of seconds in range (inf, nan, 0 and negatives crash a socket)."""
    return math.isfinite(value) and MIN_TIMEOUT <= value <= MAX_TIMEOUT


def timeout_problem(value: object) -> str:
    return f"must be a number of seconds from {MIN_TIMEOUT:g} to {MAX_TIMEOUT:g}, not {value!r}"


def address_ok(value: str) -> bool:
    """No space, quote, angle bracket, backslash or control character."""
    return _NOT_IN_ADDRESS.search(value) is None


def archive_path_problem(template: str) -> str:
    """Why `archive_path` will not do, or "": only the documented placeholder ({slug}), and
    what it makes must be a relative path that stays inside the archive (no "..", no "//")."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:  # a lone "{" or "}"
        return f'is not a path template ({exc}); write it like "issues/{{slug}}/"'
    fields = [name for _, name, _, _ in parts if name is not None]
    for _, name, spec, conversion in parts:
        if name is not None and (name not in ARCHIVE_FIELDS or spec or conversion):
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            return f"may only hold {{slug}}, not {{{shown}}}"
    if "slug" not in fields:
        return 'must contain "{slug}"'
    literal = "".join(text for text, _, _, _ in parts)
    if not _PATH_TEXT.fullmatch(literal):
        return "may hold only letters, digits and . _ ~ - / besides {slug}"
    segments = template.strip("/").split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        return 'must be a relative path inside the archive, without "..", "." or "//"'
    return ""


SMTP_SECURITY = ("starttls", "ssl", "none")


def smtp_value_problem(key: str, value: object) -> str:
    """Why a value of ``[smtp]`` will not do, or "" (the addresses are checked when sending)."""
    if key == "port":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
            return f"must be a port number from 1 to 65535, not {value!r}"
    elif key == "security":
        if value not in SMTP_SECURITY:
            return f"must be one of {', '.join(SMTP_SECURITY)}, not {value!r}"
    elif key == "to":
        if not (
            isinstance(value, str)
            or (isinstance(value, list) and all(isinstance(v, str) for v in value))
        ):
            return f"must be an address or a list of addresses, not {value!r}"
    elif not isinstance(value, str):
        return f"must be a string, not {value!r}"
    return ""


UTM_KEYS = ("source", "medium", "campaign", "term", "content")


def utm_table(value: Any, source: str) -> dict[str, str]:
    """newsletter.utm: a table of utm_ values; "{slug}" in one is the issue's slug."""
    if not isinstance(value, dict):
        raise ConfigError(
            'newsletter.utm must be a table like {source = "news", medium = "email"}',
            source=source,
        )
    for key, text in value.items():
        if key not in UTM_KEYS:
            raise ConfigError(
                f"unknown key newsletter.utm.{key} (known: {', '.join(UTM_KEYS)})",
                source=source,
            )
        if not isinstance(text, str) or not text.isprintable() or not text.strip():
            raise ConfigError(
                f"newsletter.utm.{key} must be one line of text, not {text!r}", source=source
            )
    return {key: value[key].strip() for key in UTM_KEYS if key in value}
