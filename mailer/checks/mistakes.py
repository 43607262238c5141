"""Rules for the slips an editor makes while writing: a mistyped address, a link only the editor
can open, Markdown that shows as debris, a word typed twice, a title YAML cut short, a merge tag
with a typo, the template's own words left in. Each was once sent by somebody; each is quiet on
the 368 real issues of the shared corpus but where they hold the mistake."""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from mailer.checks.runner import Candidate
from mailer.core.finding import Finding
from mailer.core.provider_facts import known

_RIGHT_SCHEME = re.compile(r"^https?://", re.I)
_PLACEHOLDER_TARGET = {"todo", "tk", "tbd", "fixme", "xxx", "link", "url", "#todo"}
# Markdown that did not become Markdown: a link or image whose address has a space or is not
# closed, emphasis left open, shown to readers as written
_LINK_DEBRIS = re.compile(r"!?\[[^\]\n]{1,200}\]\((?:[^)\n]*\s[^)\n]*\)|[^)\n]*$)")
_OPEN_STRONG = re.compile(r"(?:^|\s)\*\*(?=\S)[^*\n]{1,200}$|(?:^|\s)__(?=\S)[^_\n]{1,200}$")
# two words alike, neither part of a longer one ("we're re-connecting": not "re re")
_DOUBLED = re.compile(
    r"(?<![\w'’-])([A-Za-z]{2,}+)\s++\1(?![\w'’-])", re.I
)  # possessive: no backtracking into a word
# said twice on purpose: grammar ("that that", "had had") and emphasis ("many many", "yes yes")
_DOUBLES_OK = {
    "that", "had", "is", "can", "do", "no", "bye", "la", "ha", "so", "very", "her",
    "many", "much", "really", "deep", "yes", "yeah", "etc", "rah", "ho", "hee", "blah", "bla",
    "knock", "tut", "tsk", "boo", "ding", "dum", "chop", "hip", "pretty", "super", "long",
    "far", "now", "again", "go", "come", "yada", "bang", "night", "wow", "oh", "ah", "hey",
}  # fmt: skip
# after these, "you you" and "it it" are most often two clauses: "if it interests you, you..."
_CLAUSE_OPENERS = re.compile(
    r"\b(?:if|when|whenever|once|after|before|because|since|unless|whether|from|with|for)\b",
    re.I,
)
_PUNCTUATION = ".,;:!?()[]\"'’“”*_"
# editing addresses of documents that only their owner (or their organisation) can open
_PRIVATE_DOCS = (
    (
        re.compile(r"docs\.google\.com/(?:document|spreadsheets|presentation|forms)/d/[^/]+/edit"),
        "a Google Docs editing link",
    ),
    (re.compile(r"drive\.google\.com/drive/(?:u/\d+/)?folders/"), "a Google Drive folder"),
    (
        re.compile(r"[\w-]+\.sharepoint\.com/.*(?:_layouts/|/:[wxp]:/r/)"),
        "a SharePoint editing link",
    ),
    (re.compile(r"onedrive\.live\.com/edit"), "a OneDrive editing link"),
)
_DOC_SITES = ("google.com", "sharepoint.com", "live.com")  # where _PRIVATE_DOCS can match
_MAILCHIMP_TAG = re.compile(r"\*\|([A-Z0-9_:]{1,40})\|\*")
_HEADER_KEYS = ("title", "subject", "subtitle", "preheader")


def check_link_malformed(s: Candidate) -> Iterator[Finding]:
    """An address that cannot work: a mistyped scheme (htps:, http//), or a placeholder."""
    for link in s.inventory.links:
        href = link.href.strip()
        if href.lower() in _PLACEHOLDER_TARGET:
            yield s.finding(
                s.line(link.index),
                "link-malformed",
                "error",
                f"link {link.text!r} points at {href!r}, a placeholder: put the address in",
            )
        elif not _RIGHT_SCHEME.match(href) and _looks_web(href):
            yield s.finding(
                s.line(link.index),
                "link-malformed",
                "error",
                f"link address {href!r} has a mistyped scheme: write https://…",
            )


def _looks_web(href: str) -> bool:
    head = href.lower()
    if head.startswith(("htps:", "htp:", "htttp", "ttps:", "ttp:", "http//", "https//")):
        return True
    return bool(re.match(r"^https?:/?[^/]", head))  # http:/x, https:x


def check_link_local(s: Candidate) -> Iterator[Finding]:
    """An address only the editor's own machine or network answers: readers get nothing."""
    found = [(link.href, link.index) for link in s.inventory.links]
    found += [(image.src, image.index) for image in s.inventory.images]
    for href, index in found:
        where = _local_only(href)
        if where:
            yield s.finding(
                s.line(index),
                "link-local",
                "error",
                f"{href} is {where}: readers cannot open it; link to a public address",
            )


# what a local-only address can start with: the rest of the checks are dear (urlsplit, an
# address parsed), and almost no address is local
_MAYBE_LOCAL = re.compile(r"file:|https?://(?:[^/@]*@)?(?:localhost|\[|\d|[^/:?#]*\.local)", re.I)


def _local_only(href: str) -> str:
    if not _MAYBE_LOCAL.match(href):
        return ""
    if href.lower().startswith("file:"):
        return "a file on your own computer"
    if not href.lower().startswith(("http://", "https://")):
        return ""
    host = (urlsplit(href).hostname or "").lower()
    if host in ("localhost", "localhost.localdomain") or host.endswith((".local", ".localhost")):
        return "on your own machine (localhost)"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return ""
    if address.is_loopback:
        return "on your own machine"
    if address.is_private or address.is_link_local:
        return "on a private network"
    return ""


def check_link_private(s: Candidate) -> Iterator[Finding]:
    """A document's editing address: it asks readers to sign in or to request access."""
    for link in s.inventory.links:
        if "usp=shar" in link.href or not any(site in link.href for site in _DOC_SITES):
            continue  # copied from the Share dialog (shared with whoever has the link), or no doc
        for pattern, what in _PRIVATE_DOCS:
            if pattern.search(link.href):
                yield s.finding(
                    s.line(link.index),
                    "link-private",
                    "warning",
                    f"{link.href} is {what}: readers without access see a sign-in page; "
                    "share a view or published link instead",
                )
                break


def check_markdown_debris(s: Candidate) -> Iterator[Finding]:
    """Markdown that readers would see as written: a link or image that did not parse (a space
    in its address, a bracket not closed), bold left open."""
    for text, index, in_link in s.inventory.texts:
        if in_link or ("](" not in text and "**" not in text and "__" not in text):
            continue
        for line in text.split("\n"):
            debris = _LINK_DEBRIS.search(line) or _OPEN_STRONG.search(line)
            if debris:
                shown = debris[0].strip()[:60]
                yield s.finding(
                    s.line(index),
                    "markdown-debris",
                    "error",
                    f"{shown!r} shows to readers as written: Markdown did not take it "
                    "(an address with a space or no closing parenthesis, a ** not closed)",
                )
                break


def check_doubled_word(s: Candidate) -> Iterator[Finding]:
    """A word typed twice ("the the")."""
    for text, index, _ in s.inventory.texts:
        for match in _DOUBLED.finditer(text):
            word = match[1].lower()
            second = match[0].split()[-1]
            if word in _DOUBLES_OK or match[1] != second:
                continue
            if match[1][0].isupper() and second[0].isupper():
                continue  # a name: "The Workshop Workshop", "Walla Walla"
            sentence = re.split(r"[.!?]\s", text[: match.start()])[-1]
            if word in ("you", "it") and _CLAUSE_OPENERS.search(sentence):
                continue  # "if the topic interests you you should read it": two clauses
            before = [w.strip(_PUNCTUATION).lower() for w in text[: match.start()].split()[-1:]]
            after = [w.strip(_PUNCTUATION).lower() for w in text[match.end() :].split()[:1]]
            if before == [word] or (after and after[0].startswith(word)):
                continue  # "ho ho ho", "hate hate hated": said on purpose
            yield s.finding(
                s.line(index),
                "doubled-word",
                "warning",
                f"{match[0]!r}: a word typed twice",
            )


def _star_tag_providers() -> str:
    return " or ".join(f.display_name for f in known().values() if f.language.merge_tags)


def check_merge_tag_typo(s: Candidate) -> Iterator[Finding]:
    """A ``*|TAG|*`` merge tag the provider will not fill in: subscribers would see it raw.
    Mailchimp fills its own tags and the audience's fields (which mailer cannot know), so
    there only a near miss of a known tag is said; another provider fills none of them."""
    provider = s.settings.template_language
    if "*|" not in s.inventory.all_text:
        return
    for text, index, _ in s.inventory.texts:
        for match in _MAILCHIMP_TAG.finditer(text):
            tag = match[1]
            if not provider.merge_tags:
                yield s.finding(
                    s.line(index),
                    "merge-tag-unknown",
                    "error",
                    f"{match[0]!r} is a merge tag of {_star_tag_providers()}: "
                    f"{provider.display_name} does not fill it in, so readers would see it as "
                    "written",
                )
            elif tag not in provider.merge_tags and not tag.startswith(("DATE:", "IF:", "HTML:")):
                close = difflib.get_close_matches(tag, provider.merge_tags, n=1, cutoff=0.75)
                if close:
                    yield s.finding(
                        s.line(index),
                        "merge-tag-unknown",
                        "warning",
                        f"{match[0]!r} is not a {provider.display_name} merge tag: did you mean "
                        f"*|{close[0]}|*? (readers would see it as written)",
                    )


def check_header_cut(s: Candidate) -> Iterator[Finding]:
    """A title YAML cut at " #": unquoted, ``title: Notes #2 - hiring`` is "Notes" (the rest
    is a comment)."""
    lines: list[str] | None = None
    for key in _HEADER_KEYS:
        line = s.issue.line_of(key)
        value = s.issue.meta.get(key)
        if line is None or not isinstance(value, str):
            continue
        if lines is None:
            try:
                lines = s.issue.path.read_text(encoding="utf-8", errors="replace").split("\n")
            except OSError:
                return
        if not 0 < line <= len(lines):
            continue
        raw = lines[line - 1]
        written = raw.split(":", 1)[1].strip() if ":" in raw else ""
        if written.startswith(("'", '"')) or " #" not in written:
            continue
        kept, _, cut = written.partition(" #")
        if kept.strip() == value.strip() and cut.strip():
            yield s.finding(
                line,
                "header-cut",
                "warning",
                f"{key} is {value!r}: YAML reads ' #{cut.strip()[:40]}' as a comment; quote the "
                f'whole value: {key}: "{written}"',
            )


# the words mailer's own templates write, which an editor replaces before sending
TEMPLATE_WORDS = (
    ("Write the introduction here.", "mailer new"),
    ("[A link worth reading](https://example.com/) - why it matters.", "mailer new"),
    ("Write a few lines about why you started it.", "mailer init"),
)


def check_template_unchanged(s: Candidate) -> Iterator[Finding]:
    """The issue still holds the placeholder words of the template it was made from."""
    body = s.issue.body
    for words, made_by in TEMPLATE_WORDS:
        at = body.find(words)
        if at >= 0:
            yield s.finding(
                s.issue.body_line + body.count("\n", 0, at),
                "template-unchanged",
                "error",
                f"{words!r} is the placeholder `{made_by}` wrote: replace it with your own",
            )
