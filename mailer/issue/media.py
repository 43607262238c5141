"""Media inside a link become the link's text, so that nothing a reader could click disappears.

The sanitizer removes players (``<video>``, ``<audio>``, ``<iframe>``, ``<object>``, ``<embed>``,
``<svg>``) with their content: no mail client plays them. Around a link that is all the link
showed — ``<a href="talk.mp4"><video …></video></a>`` — that would leave an empty, invisible link
and the item would be gone. So before sanitizing, each such player inside a link is replaced by
a short text naming it: its ``title``, ``aria-label`` or ``alt``, else the file name of its
poster or source, else what it is ("video").
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

MEDIA = ("video", "audio", "iframe", "object", "embed", "svg")
MARKS = {"audio": "♪ ", "svg": ""}  # before the label; "▶ " for the others
# a tag, whose inside holds no "<": a stray "<" ends the attempt at once (linear on broken HTML)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^<>\"']|\"[^\"<]*\"|'[^'<]*')*)>")
_ATTR = re.compile(r"([^\s=/>\"']+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+)))?")
_HINT = re.compile(r"<(?:" + "|".join(MEDIA) + r")\b", re.IGNORECASE)


@dataclass(frozen=True)
class Replaced:
    """One player inside a link and the text that stands for it."""

    tag: str
    text: str


def attributes(inside: str) -> dict[str, str]:
    """The attributes of a start tag's inside (after its name), unescaped, first one wins."""
    found: dict[str, str] = {}
    for match in _ATTR.finditer(inside):
        value = next((v for v in match.groups()[1:] if v is not None), "")
        found.setdefault(match[1].lower(), html.unescape(value))
    return found


def label(tag: str, attrs: dict[str, str], sources: list[str]) -> str:
    """What a reader should see in place of a player: its name, else its file's name."""
    for name in ("title", "aria-label", "alt"):
        if attrs.get(name, "").strip():
            return MARKS.get(tag, "▶ ") + " ".join(attrs[name].split())
    for url in (attrs.get("src", ""), attrs.get("data", ""), *sources, attrs.get("poster", "")):
        file = unquote(urlsplit(url.strip()).path.rstrip("/").rsplit("/", 1)[-1])
        if file:
            return MARKS.get(tag, "▶ ") + file
    return MARKS.get(tag, "▶ ") + ("image" if tag == "svg" else tag)


def linked_media_as_text(fragment: str, links: int = 0) -> tuple[str, tuple[Replaced, ...]]:
    """`fragment` with every player inside a link replaced by its label (escaped text);
    `links` says how many links are open where the fragment starts."""
    if not _HINT.search(fragment):
        return fragment, ()
    out: list[str] = []
    replaced: list[Replaced] = []
    pos = 0
    skip_until = -1
    for match in _TAG.finditer(fragment):
        if match.start() < skip_until:
            continue
        closing, name = match[1] == "/", match[2].lower()
        if name == "a":
            links = max(0, links + (-1 if closing else 1))
            continue
        if closing or name not in MEDIA or not links:
            continue
        end, sources = _element_end(fragment, name, match)
        text = label(name, attributes(match[3]), sources)
        replaced.append(Replaced(name, text))
        out.append(fragment[pos : match.start()])
        out.append(html.escape(text, quote=False))
        pos = skip_until = end
    out.append(fragment[pos:])
    return "".join(out), tuple(replaced)


def open_links(fragment: str, links: int = 0) -> int:
    """How many links are open after `fragment`, given `links` open before it."""
    if "<" not in fragment:
        return links
    for match in _LINK_TAG.finditer(fragment):
        links = max(0, links + (-1 if match[1] else 1))
    return links


_LINK_TAG = re.compile(r"<(/?)a(?=[\s>/])", re.IGNORECASE)


def _element_end(fragment: str, name: str, start: re.Match[str]) -> tuple[int, list[str]]:
    """Where the element opened by `start` ends, and the sources named inside it."""
    if name == "embed" or start[0].endswith("/>"):
        return start.end(), []
    close = re.compile(rf"</{name}\s*>", re.IGNORECASE).search(fragment, start.end())
    end = close.end() if close else len(fragment)
    inside = fragment[start.end() : close.start() if close else end]
    sources = [
        attributes(m[3]).get("src", "")
        for m in _TAG.finditer(inside)
        if m[2].lower() in ("source", "track") and not m[1]
    ]
    return end, sources
