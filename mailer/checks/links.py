"""Rules over links and images: broken, relative, insecure, unhelpful or missing targets."""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from pathlib import Path

from mailer.checks.runner import Candidate
from mailer.finding import Finding
from mailer.urls import SCHEME, has_web_host, is_relative, is_web


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
    for link in s.inventory.links:
        if link.href.startswith("http://") and has_web_host(link.href):
            yield s.finding(
                s.line(link.index),
                "link-insecure",
                "warning",
                f"{link.href} is http:, not https: (check whether https works)",
            )


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
    for link in s.inventory.links:
        text = link.text.strip().strip(".:!").lower()
        if text in _SAYS_NOTHING:
            yield s.finding(
                s.line(link.index),
                "link-text",
                "warning",
                f"link text {link.text!r} says nothing out of context (screen readers list "
                "links alone); name what it links to",
            )
        elif text.startswith(("http://", "https://", "www.")) and " " not in text:
            yield s.finding(
                s.line(link.index),
                "link-text",
                "warning",
                f"a bare URL as link text ({link.text}); say where it goes",
            )


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
    for image in s.inventory.images:
        src = image.src.strip()
        if not src:
            yield s.finding(s.line(image.index), "image-src", "error", "image with no src")
        elif is_relative(src) and not s.settings.url:
            yield s.finding(
                s.line(image.index),
                "image-src",
                "error",
                f"relative image {src!r} cannot load in an inbox: set newsletter.url in "
                "newsletter.toml, or write the full URL",
            )
        elif src.startswith("http://"):
            yield s.finding(
                s.line(image.index),
                "image-src",
                "warning",
                f"image {src} is http:, which mail clients block or flag; use https:",
            )


def check_image_width(s: Candidate) -> Iterator[Finding]:
    """What Outlook for Windows will draw, given the widths render set (mailer/images.py)."""
    lines = {image.src: s.line(image.index) for image in reversed(s.inventory.images)}
    for fit in s.rendered.images:
        line = lines.get(fit.src) or next(
            (n for src, n in lines.items() if src and fit.src.endswith(src.lstrip("./"))), None
        )
        name = fit.src.split("?")[0].rsplit("/", 1)[-1][:80] or fit.src
        if fit.given is not None:
            if fit.given > fit.column:
                yield s.finding(
                    line,
                    "image-width",
                    "warning",
                    f"{name} asks for {fit.given} px, wider than its {fit.column} px column: "
                    f"mailer draws it {fit.column} px wide (and scales its height)",
                )
            continue
        path = _local_file(s, fit.src)
        size = _image_size(path) if path else None
        if size is not None:
            if fit.block and size[0] < fit.column:
                yield s.finding(
                    line,
                    "image-width",
                    "warning",
                    f"{name} is {size[0]} px wide: Outlook for Windows would stretch it to the "
                    f'{fit.column} px column; give its width: ![alt]({name} "{size[0]}px")',
                )
            elif not fit.block and size[0] > fit.column:
                yield s.finding(
                    line,
                    "image-width",
                    "warning",
                    f"{name} is {size[0]} px wide, in a line of text: Outlook for Windows shows "
                    f"it at full size, past the {fit.column} px column; give it a width",
                )
            continue
        if fit.block:
            message = (
                f"{name}: its size is unknown here, so Outlook for Windows gets the column's "
                f"{fit.column} px; if it is narrower, give its width "
                f'(![alt](address "300px") or ?w=300) or it is stretched'
            )
        else:
            message = (
                f"{name}, in a line of text, has no width: Outlook for Windows shows it at "
                f"its natural size, whatever that is; give it a width"
            )
        yield s.finding(line, "image-width", "warning", message)


def _local_file(s: Candidate, src: str) -> Path | None:
    """The file on disk an image refers to, when the newsletter's repository has it."""
    if s.settings.url and src.startswith(s.settings.url):
        src = src[len(s.settings.url.rstrip("/")) :]
    if SCHEME.match(src) or src.startswith("//") or not src:
        return None
    candidates = [s.issue.path.parent / src.lstrip("/")]
    if s.settings.root is not None:
        candidates.insert(0, s.settings.root / src.lstrip("/"))
    return next((c for c in candidates if c.is_file()), None)


def _image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from a PNG, GIF or JPEG header; None for anything else."""
    try:
        with path.open("rb") as fh:
            head = fh.read(64 * 1024)
    except OSError:
        return None
    if head.startswith(b"\x89PNG\r\n\x1a\n") and len(head) >= 24:
        width, height = struct.unpack(">II", head[16:24])
        return width, height
    if head[:6] in (b"GIF87a", b"GIF89a"):
        width, height = struct.unpack("<HH", head[6:10])
        return width, height
    if head.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(head):
            if head[i] != 0xFF:
                i += 1
                continue
            marker = head[i + 1]
            length = struct.unpack(">H", head[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD):
                height, width = struct.unpack(">HH", head[i + 5 : i + 9])
                return width, height
            i += 2 + length
    return None
