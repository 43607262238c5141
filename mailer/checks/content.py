"""Rules over the issue's text: markup the renderer removes, template syntax that would reach
readers literally, placeholders, and reference links that never resolved."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

from mailer.checks.runner import Candidate
from mailer.core.finding import Finding
from mailer.issue.media import linked_media_as_text, open_links
from mailer.issue.rawhtml import RawHtmlParser
from mailer.issue.sanitize import REMOVED_WITH_CONTENT

_SUSPECT = re.compile(
    r"<(?:" + "|".join(sorted(REMOVED_WITH_CONTENT)) + r")\b|\son\w+\s*=|javascript:",
    re.IGNORECASE,
)


class _TagScanner(RawHtmlParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in REMOVED_WITH_CONTENT:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{name}= on <{tag}>")
            elif name in ("href", "src") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"a javascript: URL on <{tag}>")


def check_forbidden_markup(s: Candidate) -> Iterator[Finding]:
    raw_html = s.inventory.raw_html
    # one cheap look over all of it first; the parser decides, event by event, only when needed
    if not _SUSPECT.search("".join(raw for raw, _ in raw_html)):
        return
    links = 0  # links open across raw-HTML events: `<a href>` and `<video>` are often two
    for raw, index in raw_html:
        before, links = links, open_links(raw, links)
        if not _SUSPECT.search(raw):
            continue
        raw, replaced = linked_media_as_text(raw, before)
        for media in replaced:
            yield s.finding(
                s.line(index),
                "forbidden-markup",
                "warning",
                f"<{media.tag}> inside a link is removed (mail clients do not show it): the "
                f"link shows {media.text!r} instead, so it stays visible",
            )
        scanner = _TagScanner()
        scanner.feed(raw)
        scanner.close()
        for what in dict.fromkeys(scanner.found):
            yield s.finding(
                s.line(index),
                "forbidden-markup",
                "warning",
                f"{what} is removed from the email (mail clients block it); "
                "link to the content instead",
            )


_VARIABLE = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")
_BLOCK = re.compile(r"\{%-?\s*(\w*).*?-?%\}")
_IAL = re.compile(r"\{:\s*[.#]?[\w-][^}]*\}")


def check_template_leftover(s: Candidate) -> Iterator[Finding]:
    merge = s.settings.template_language
    provider = merge.display_name
    if "{" not in s.inventory.all_text:
        return
    for text, index, _ in s.inventory.texts:
        if "{" not in text:
            continue
        for match in _BLOCK.finditer(text):
            if match[1] not in merge.merge_blocks:
                yield s.finding(
                    s.line(index),
                    "template-leftover",
                    "error",
                    f"template tag {match[0]!r} would reach readers as text "
                    f"({provider} does not process it); remove it or render it first",
                )
        for match in _VARIABLE.finditer(text):
            if not merge.is_merge_variable(match[1]):
                yield s.finding(
                    s.line(index),
                    "template-leftover",
                    "error",
                    f"{match[0]!r} is not a {provider} merge tag and would reach readers as text",
                )
        for match in _IAL.finditer(text):
            yield s.finding(
                s.line(index),
                "template-leftover",
                "warning",
                f"kramdown attribute list {match[0]!r} is not Markdown here and shows as text",
            )


# markers are written in capitals; "todo" in prose is just a word
_PLACEHOLDER = re.compile(r"\b(?:TK|TODO|FIXME|XXX)\b|[Ll]orem [Ii]psum")


def check_placeholder(s: Candidate) -> Iterator[Finding]:
    # a link titled "Remove the last FIXME" names the marker, it is not one
    # substring scans are C-speed, the pattern is not: look for the markers' letters first,
    # over all the text and then per text, and run the pattern only where they are
    if not any(marker in s.inventory.all_text for marker in _MARKERS):
        return
    for text, index, in_link in s.inventory.texts:
        if in_link or not any(marker in text for marker in _MARKERS):
            continue
        for match in _PLACEHOLDER.finditer(text):
            yield s.finding(
                s.line(index), "placeholder", "error", f"placeholder {match[0]!r} left in the issue"
            )


_MARKERS = ("TK", "TODO", "FIXME", "XXX", "orem ipsum", "orem Ipsum")
_UNRESOLVED = re.compile(r"\[([^\[\]]+)\]\[([^\[\]]*)\]")


def check_reference_unresolved(s: Candidate) -> Iterator[Finding]:
    if "][" not in s.inventory.all_text:
        return
    for text, index, _ in s.inventory.texts:
        if "][" not in text:
            continue
        for match in _UNRESOLVED.finditer(text):
            label = match[2] or match[1]
            if _is_tag_pair(match[1], label) and not _near_a_definition(label, s.issue.body):
                continue  # "[WIP][RFC]", "[ZH][EN]": tags written as text, not a broken link
            yield s.finding(
                s.line(index),
                "reference-unresolved",
                "error",
                f"reference link {match[0]!r} shows as text: no '[{label}]: URL' defines it",
            )


_TAG = re.compile(r"[A-Z0-9][A-Z0-9._+-]{0,15}")
_DEFINITION = re.compile(r"^ {0,3}\[([^\]]{1,999})\]:[ \t]*\S", re.M)


def _is_tag_pair(text: str, label: str) -> bool:
    """Both parts short and upper-case, as bracket tags are written ("[WIP][RFC]")."""
    return bool(_TAG.fullmatch(text) and _TAG.fullmatch(label))


def _near_a_definition(label: str, body: str) -> bool:
    """Whether the issue defines a reference whose name is close to `label` (a typo)."""
    defined = [name.strip().lower() for name in _DEFINITION.findall(body)]
    return bool(difflib.get_close_matches(label.lower(), defined, n=1, cutoff=0.75))
