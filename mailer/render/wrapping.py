"""Wrapping text for the plain-text part: lines of at most 78 columns, never breaking a URL.

Breaks fall at spaces only — a non-breaking space holds its words together, and a word longer
than the line (a URL) stays whole on its own line. Text with East Asian wide characters, which
puts no spaces between words, may also break between those characters, each counted as two
columns, as a terminal or mail client shows it.
"""

from __future__ import annotations

import re
from functools import cache

HARD_BREAK = "\x00"
# runs of ASCII white space (not the non-breaking space, which must hold words together)
SPACES = re.compile(r"[ \t\n\r\f\v]{2,}|[\t\n\r\f\v]")
# East Asian wide characters: a line may break between any two of them
_WIDE_CLASS = (
    r"[\u1100-\u115f\u2e80-\u303e\u3040-\ua4cf\uac00-\ud7a3\uf900-\ufaff"
    r"\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]"
)


# the patterns are compiled on first use (7 ms together): only text beyond ASCII needs them
@cache
def _wide() -> re.Pattern[str]:
    return re.compile(_WIDE_CLASS)


@cache
def _tokens() -> re.Pattern[str]:
    """A wide character with the closing punctuation that must not start a line, a word, or
    a space."""
    return re.compile(
        r"(?:"
        + _WIDE_CLASS
        + r")[，。、；：？！）」』》〉】,.;:?!)]*|[^ ]+?(?=$| |"
        + _WIDE_CLASS
        + r")| "
    )


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap at spaces: non-breaking spaces hold, long words (URLs) stay whole.

    Text with wide (CJK) characters, which has no spaces between words, may also break between
    those characters, and each counts two columns, as a terminal or mail client shows it.
    """
    lines: list[str] = []
    for paragraph in text.split(HARD_BREAK):
        flat = _collapse(paragraph)
        if _has_wide(flat):
            lines.extend(_wrap_wide(flat, width))
        elif len(flat) <= width:
            lines.append(flat)
        else:
            start, end = 0, len(flat)
            while end - start > width:
                # the longest run of at most `width` that ends at a space, else one long word
                cut = flat.rfind(" ", start, start + width + 1)
                if cut <= start:
                    cut = flat.find(" ", start + width)
                    if cut == -1:
                        break
                lines.append(flat[start:cut])
                start = cut + 1
            lines.append(flat[start:])
    return lines


def _wrap_wide(text: str, width: int) -> list[str]:
    lines: list[str] = []
    line, used = "", 0
    wide = _wide()
    for token in _tokens().findall(text):
        size = sum(2 if wide.match(ch) else 1 for ch in token)
        if token == " ":
            if line and used < width:
                line, used = line + " ", used + 1
            continue
        if used + size > width and line.strip():
            lines.append(line.rstrip())
            line, used = "", 0
        line, used = line + token, used + size
    lines.append(line.rstrip())
    return lines


def _collapse(text: str) -> str:
    """Runs of white space → one space; a non-breaking space is not white space here."""
    if "\t" in text or "\n" in text or "\r" in text or "\f" in text or "\v" in text:
        text = SPACES.sub(" ", text)  # rare: other white space becomes a space first
    while "  " in text:  # C-speed passes; two usually suffice (". " + " " after a sentence)
        text = text.replace("  ", " ")
    return text.strip(" ")


def _has_wide(text: str) -> bool:
    return not text.isascii() and _wide().search(text) is not None
