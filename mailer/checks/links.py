"""Rules over links and images: broken, relative, insecure, unhelpful or missing targets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from urllib.parse import urlsplit

from mailer.checks.runner import Candidate
from mailer.core.finding import Finding
from mailer.core.urls import has_web_host, is_relative, is_web
from mailer.issue.load import ISSUE_SUFFIXES
from mailer.render.links import Resolver, body_base, sibling_issue


def check_link_broken(s: Candidate) -> Iterator[Finding]:
    for link in s.inventory.links:
        href = link.href.strip()
        problem = None
        if href in ("", "#"):
            problem = f"link {link.text!r} goes nowhere (href {href!r})"
        elif is_web(href) and not has_web_host(href):
            problem = f"link {link.text!r} has no host ({href!r})"
        elif is_relative(href) and not s.settings.url:
            problem = (
                f"relative link {href!r} cannot work in an inbox: set newsletter.url "
                "in newsletter.toml, or write the full URL"
            )
        elif (
            is_relative(href)
            and urlsplit(href).path.endswith(ISSUE_SUFFIXES)
            and sibling_issue(s.issue.path.parent, href) is None
        ):
            problem = (
                f"link {href!r} names an issue file that is not there (relative to "
                f"{s.issue.path.parent}): correct the file name, or link to its archive page"
            )
        if problem:
            yield s.finding(s.line(link.index), "link-broken", "error", problem)


def check_anchor_app(s: Candidate) -> Iterator[Finding]:
    """Once per issue: in-page links are dead in Gmail for iOS, whatever the markup."""
    link = next((x for x in s.inventory.links if x.href.startswith("#") and len(x.href) > 1), None)
    if link is not None:
        yield s.finding(
            s.line(link.index),
            "anchor-app",
            "warning",
            f"in-page links ({link.href} and any others) do nothing in Gmail for iOS, and "
            "Yahoo Mail follows only <a name> (mailer adds it): make sure the issue reads well "
            "without them",
        )


def check_anchor_missing(s: Candidate) -> Iterator[Finding]:
    for link in s.inventory.links:
        if link.href.startswith("#") and len(link.href) > 1:
            target = link.href[1:]
            if target not in s.email_ids:
                yield s.finding(
                    s.line(link.index),
                    "anchor-missing",
                    "error",
                    f'in-page link {link.href!r} has no target: add <a name="{target}"></a> '
                    "where it should land",
                )


def check_link_insecure(s: Candidate) -> Iterator[Finding]:
    """An http: link to a site known, offline, to serve https: on Chromium's HSTS preload list
    (browsers never ask it over http; the hstspreload package carries the list), or linked
    with https: elsewhere in the same issue. Many small sites serve http only: a link to one
    is no mistake, and without the network mailer cannot tell, so it says nothing."""
    insecure = [link for link in s.inventory.links if link.href.startswith("http://")]
    if not insecure:
        return
    secure_hosts = {
        _host(link.href) for link in s.inventory.links if link.href.startswith("https://")
    }
    for link in insecure:
        host = _host(link.href)
        if not host or not has_web_host(link.href):
            continue
        if host in secure_hosts:
            why = "this issue links the same site with https:"
        elif _preloaded(host):
            why = "the site is on the HSTS preload list: browsers only ever use https for it"
        else:
            continue
        yield s.finding(
            s.line(link.index),
            "link-insecure",
            "warning",
            f"{link.href} is http:, but {why}; link to https://{link.href[7:]}",
        )


def _host(href: str) -> str:
    return urlsplit(href).hostname or ""


@lru_cache(maxsize=4096)
def _preloaded(host: str) -> bool:
    """0.4 ms a look-up in hstspreload's list: each host is looked up once per process."""
    import hstspreload

    return bool(hstspreload.in_hsts_preload(host))


_SAYS_NOTHING = {
    "here",
    "click here",
    "click",
    "this",
    "this link",
    "link",
    "read more",
    "more",
    "go",
    "url",
    "clicking here",
}


def check_link_text(s: Candidate) -> Iterator[Finding]:
    """Link text a reader cannot tell apart: words that say nothing ("here", "this") used for
    two or more different addresses in one issue (a screen reader's list of links then reads
    "here, here"), "click here" anywhere (it names a gesture, not a place), a bare URL. One
    "here" whose sentence says where it goes is fine (WCAG 2.4.4: link purpose in context)."""
    targets: dict[str, set[str]] = {}
    for link in s.inventory.links:
        text = link.text.strip().strip(".:!").lower()
        if text in _SAYS_NOTHING:
            targets.setdefault(text, set()).add(link.href)
    for link in s.inventory.links:
        text = link.text.strip().strip(".:!").lower()
        if text in _SAYS_NOTHING and (text in _GESTURES or len(targets[text]) > 1):
            yield s.finding(
                s.line(link.index),
                "link-text",
                "warning",
                f"link text {link.text!r} says nothing out of context"
                + (
                    f" and leads to {len(targets[text])} different places in this issue"
                    if text not in _GESTURES
                    else ""
                )
                + " (screen readers list links alone); name what it links to",
            )
        elif text.startswith(("http://", "https://", "www.")) and " " not in text:
            yield s.finding(
                s.line(link.index),
                "link-text",
                "warning",
                f"a bare URL as link text ({link.text}); say where it goes",
            )


_GESTURES = {"click here", "click", "clicking here"}  # poor wherever they are
_FILE_LIKE = re.compile(r"^[\w.-]+\.(png|jpe?g|gif|webp|svg|bmp|tiff?)$", re.IGNORECASE)
_PLACEHOLDER_ALT = {
    "image",
    "img",
    "picture",
    "photo",
    "screenshot",
    "alt",
    "alt text",
    "graphic",
    "figure",
    "untitled",
}


def check_image_alt(s: Candidate) -> Iterator[Finding]:
    for image in s.inventory.images:
        alt = (image.alt or "").strip()
        name = image.src.rsplit("/", 1)[-1]
        if image.alt is None or not alt:
            yield s.finding(
                s.line(image.index),
                "image-alt",
                "warning",
                f"image {name or image.src!r} has no alt text: say what it shows (images are "
                "often blocked, and screen readers read the alt)",
            )
        elif alt.lower() in _PLACEHOLDER_ALT or _FILE_LIKE.match(alt) or alt == name:
            yield s.finding(
                s.line(image.index),
                "image-alt",
                "warning",
                f"alt text {alt!r} is a placeholder: say what the image shows",
            )


def check_image_src(s: Candidate) -> Iterator[Finding]:
    files = Resolver(s.issue, s.settings)
    for image in s.inventory.images:
        src = image.src.strip()
        line = s.line(image.index)
        if not src:
            yield s.finding(line, "image-src", "error", "image with no src")
        elif is_relative(src) and not s.settings.url:
            local = files.file(src) is not None
            yield s.finding(
                line,
                "image-src",
                "error",
                f"local image {src!r} is published beside the issue's archive page, which needs "
                'the site\'s address: set url = "https://…" under [newsletter] in '
                "newsletter.toml (mailer archive copies the file there)"
                if local
                else f"relative image {src!r} cannot load in an inbox: set newsletter.url in "
                "newsletter.toml, or write the full URL",
            )
        elif is_relative(src):
            yield from _local_image(s, files, src, line)
        elif src.startswith("http://"):
            yield s.finding(
                line,
                "image-src",
                "warning",
                f"image {src} is http:, which mail clients block or flag; use https:",
            )


def _local_image(s: Candidate, files: Resolver, src: str, line: int | None) -> Iterator[Finding]:
    """A relative image must be a picture of the repository that mailer can publish. What the
    rendering found (its assets, each read once) says which; the file is looked at again only
    to tell a missing one from one that may not be published."""
    where = files.candidate(src)
    if where is None:
        return
    found = next((a for a in s.rendered.assets if a.source == where), None)
    if found is None and where.exists():
        yield s.finding(
            line,
            "image-src",
            "error",
            f"image {src!r} is outside the repository or in a hidden folder ({where}): mailer "
            "publishes only the newsletter's own files; move it beside the issue",
        )
    elif found is None and src.startswith("/"):
        yield s.finding(
            line,
            "image-src",
            "warning",
            f"image {src!r} is not in the repository ({where}): mailer publishes nothing at that "
            "address; make sure the site serves it, or add the file",
        )
    elif found is None:
        yield s.finding(
            line,
            "image-src",
            "error",
            f"image {src!r} is not there (no file {where}): correct the name, or add the file",
        )
    elif found.size is None:
        yield s.finding(
            line,
            "image-src",
            "error",
            f"image {src!r} is not a picture mailer can read ({where}): use PNG, JPEG, GIF or "
            "WebP, which mail clients show",
        )


def check_image_width(s: Candidate) -> Iterator[Finding]:
    """What Outlook for Windows will draw, given the widths render set (mailer/render/images.py):
    a local picture's width is known and fits; a remote one of unknown size in a line of text
    may not."""
    lines = {image.src: s.line(image.index) for image in reversed(s.inventory.images)}
    page = body_base(s.issue, s.settings)
    for fit in s.rendered.images:
        if page and fit.src.startswith(page):
            continue  # a picture beside the issue: read from its file, or missing (image-src)
        if fit.given is not None or fit.natural is not None or fit.block:
            # a width mailer keeps or clamps; a size read from the file; alone in its block, the
            # column's width, which fits (a screenshot or a chart usually is that wide)
            continue
        line = lines.get(fit.src) or next(
            (n for src, n in lines.items() if src and fit.src.endswith(src.lstrip("./"))), None
        )
        name = fit.src.split("?")[0].rsplit("/", 1)[-1][:80] or fit.src
        yield s.finding(
            line,
            "image-width",
            "warning",
            f"{name}, in a line of text, has no width: Outlook for Windows shows it at "
            f"its natural size, whatever that is; give it a width",
        )
