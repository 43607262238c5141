"""An issue file's header: where it ends, and its keys — in the three conventions real
newsletters use:

- YAML between ``---`` lines (Jekyll; the reference format),
- TOML between ``+++`` lines (Hugo),
- a Pelican/MultiMarkdown ``Key: value`` block at the top, ended by a blank line
  (only when it has a ``Title``, so a body that opens with "Note: ..." stays a body).

Keys are case-insensitive and ``-``/``_`` are the same (``hero-img`` = ``hero_img``); each key
keeps the file line it is on. YAML dates stay text (``issue.py`` validates them with their line)
and YAML aliases are refused (a few hundred bytes of them expand to gigabytes).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from mailer.core.errors import IssueError
from mailer.core.limits import MAX_HEADER_BYTES, shown


class _FrontMatterLoader(yaml.CSafeLoader):
    """PyYAML's safe loader (in C), with dates left as text for ``_parse_when``: PyYAML's own
    date reading raises a bare ValueError on an impossible day, with no line."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}


def _refuse_aliases(root: yaml.Node) -> None:
    """A node reached twice in the composed document came through an alias (*name)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise yaml.MarkedYAMLError(
                problem="YAML aliases (*name) are not allowed in front matter",
                problem_mark=node.start_mark,
            )
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))


_PELICAN_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9_ -]*):[ \t]*(.*)$")


def decode(path: Path, raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise IssueError(
            path, f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8", line
        ) from None
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _norm_key(key: str) -> str:
    return key.strip().lower().replace("-", "_").replace(" ", "_")


def split(path: Path, text: str) -> tuple[dict[str, Any], dict[str, int], str, int]:
    """Return (meta, key → line, body, first body line)."""
    first, _, _ = text.partition("\n")
    if re.fullmatch(r"-{3,}\s*", first):
        return _split_fenced(path, text, r"(?:-{3,}|\.{3})[ \t]*", "YAML")
    if re.fullmatch(r"\+{3,}\s*", first):
        return _split_fenced(path, text, r"\+{3,}[ \t]*", "TOML")
    pelican = _split_pelican(text)
    if pelican is not None:
        return pelican
    raise IssueError(
        path,
        "no front matter: start the file with a '---' line, then 'title: ...' "
        "and 'date: YYYY-MM-DD', then '---'",
        1,
    )


def _split_fenced(
    path: Path, text: str, closing: str, kind: str
) -> tuple[dict[str, Any], dict[str, int], str, int]:
    # find the closing line without splitting the whole (long) body into lines
    opened = text.find("\n") + 1
    close = re.compile(rf"^{closing}$", re.M).search(text, opened) if opened else None
    if close is None:
        raise IssueError(path, f"{kind} front matter opened on line 1 is never closed", 1)
    header = text[opened : close.start()].removesuffix("\n")
    if len(header) > MAX_HEADER_BYTES:
        raise IssueError(
            path,
            f"the front matter is over {MAX_HEADER_BYTES // 1000} KB; keep it to a few keys",
            1,
        )
    after = text.find("\n", close.end())
    body = text[after + 1 :] if after != -1 else ""
    end = text.count("\n", 0, close.start())  # the closing line's index, 0-based
    if kind == "YAML":
        data = _load_yaml(path, header)
        key_re = re.compile(r"^([A-Za-z_][\w -]*?)\s*:")
    else:
        data = _load_toml(path, header)
        key_re = re.compile(r"^([A-Za-z_][\w-]*)\s*=")
    key_lines: dict[str, int] = {}
    for offset, line in enumerate(header.split("\n")):
        match = key_re.match(line)
        if match:
            key_lines.setdefault(_norm_key(match[1]), offset + 2)
    meta = {_norm_key(str(k)): v for k, v in data.items()}
    return meta, key_lines, body, end + 2


def _load_yaml(path: Path, header: str) -> dict[Any, Any]:
    loader = _FrontMatterLoader(header)
    try:
        node = loader.get_single_node()
        if node is not None:
            _refuse_aliases(node)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise IssueError(path, f"front matter: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise IssueError(path, f"front matter: {shown(str(exc))}", 1) from None
    except (ValueError, OverflowError, RecursionError) as exc:  # a number or value YAML can't hold
        raise IssueError(path, f"front matter: {shown(str(exc))}", 1) from None
    finally:
        loader.dispose()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise IssueError(path, "front matter must be 'key: value' lines", 2)
    return data


def _load_toml(path: Path, header: str) -> dict[str, Any]:
    try:
        return tomllib.loads(header)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        # "at end of document" means the last header line; lines are counted from the '+++'
        line = int(match[1]) + 1 if match else header.count("\n") + 2
        message = re.sub(r"\s*\((at line \d+, column \d+|at end of document)\)", "", str(exc))
        raise IssueError(path, f"front matter: {message}", line) from None


def _split_pelican(text: str) -> tuple[dict[str, Any], dict[str, int], str, int] | None:
    lines = text.split("\n")
    meta: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    end = 0
    for i, line in enumerate(lines):
        if not line.strip():
            end = i
            break
        match = _PELICAN_LINE.match(line)
        if not match:
            return None
        key = _norm_key(match[1])
        meta.setdefault(key, match[2].strip())
        key_lines.setdefault(key, i + 1)
    else:
        end = len(lines)
    if "title" not in meta:
        return None
    return meta, key_lines, "\n".join(lines[end + 1 :]), end + 2
