"""In-page link targets that work in as many mail clients as they can.

Browsers and most webmail follow ``href="#x"`` to ``id="x"``; Yahoo Mail keeps only
``<a name="x">``; Gmail for iOS follows neither (``check`` says so). So every element an in-page
link points at also gets an ``<a name>`` (on an ``<a id>`` itself, as its ``name``), and an id
that appears twice — ``<a id="tools">`` above a heading "Tools" — is made unique: the first
keeps it, as a browser jumps to the first, and later ones get ``-2``, ``-3``…

This runs on the sanitized fragment, whose markup is canonical (double-quoted attributes).
"""

from __future__ import annotations

import html
import re

_START_TAG_WITH_ID = re.compile(r'<([a-z][a-z0-9]*)\b([^>]*?) id="([^"]*)"([^>]*)>')
_NAME = re.compile(r'<a\b[^>]*? name="([^"]*)"')
_HREF = re.compile(r' href="#([^"]+)"')
_ANY_ID = re.compile(r' id="([^"]*)"')


def name_targets(fragment: str) -> str:
    """The fragment with unique ids, and an ``<a name>`` for every in-page link's target."""
    if ' id="' not in fragment:
        return fragment
    ids = _ANY_ID.findall(fragment)
    if len(set(ids)) == len(ids) and ' href="#' not in fragment:
        return fragment  # the common case: nothing repeated, nothing to name
    taken = {m[3] for m in _START_TAG_WITH_ID.finditer(fragment)}  # as written, all of them
    seen: set[str] = set()
    next_number: dict[str, int] = {}  # where to go on counting, for each id used again

    def unique(match: re.Match[str]) -> str:
        tag, before, value, after = match.groups()
        if value not in seen:
            seen.add(value)
            return match[0]
        count = next_number.get(value, 2)
        while f"{value}-{count}" in taken:
            count += 1
        taken.add(f"{value}-{count}")
        next_number[value] = count + 1
        return f'<{tag}{before} id="{value}-{count}"{after}>'

    fragment = _START_TAG_WITH_ID.sub(unique, fragment)
    wanted = {html.unescape(target) for target in _HREF.findall(fragment)}
    if not wanted:
        return fragment
    named = {html.unescape(n) for n in _NAME.findall(fragment)}

    def add_name(match: re.Match[str]) -> str:
        tag, before, value, after = match.groups()
        target = html.unescape(value)
        if target not in wanted or target in named:
            return match[0]
        named.add(target)
        if tag == "a":  # an <a id> names itself
            return f'<a{before} id="{value}" name="{value}"{after}>'
        return f'{match[0]}<a name="{value}"></a>'  # just inside the element

    return _START_TAG_WITH_ID.sub(add_name, fragment)
