"""Hostile issue files, generated from a seed, and a harness that runs each one in a child
process so that a traceback, a crash (a signal) and a hang are each told apart.

Used by tests/test_hostile.py (a few seconds in CI) and bench/fuzz.py (thousands, on demand).
"""

from __future__ import annotations

import os
import random
import signal
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

VALID = """---
title: "A fine issue"
subtitle: "With a subtitle"
date: 2027-03-05
---

Hello! [A link](https://example.org/a) and *emphasis*.

## Roundup

- [One](https://example.org/1) - why it matters.
- Two, with `code <T>`.

> A quote.
"""

DATES = [
    "2027-02-30",
    "0000-00-00",
    "2027-13-01",
    "2027-01-01 25:00",
    "2027-01-01T10:00+99:00",
    "9999-12-31 23:59 Pacific/Kiritimati",
    "20026-01-01",
    "1-1-1",
    "2027-01-01 10:00 Mars/Base",
    "'2027-01-05'",
    "2027-W05",
    "-2027-01-01",
    "2027-01-01T10:00:00.123456789Z",
    "now",
    "",
    "2027-01-01 10:00 UTC",
    "[2027, 1, 1]",
    "{y: 2027}",
    "1e400",
    "0x7e3",
    "2027-01-01\t",
]
TEXTS = [
    '"Part 1\\nPart 2: the sequel"',
    '"Tab\\there"',
    '"NUL \\0 inside"',
    '"ESC \\x1b[31m red"',
    '"\\u2028 line separator"',
    "|\n  Block\n  Subject: injected",
    ">\n  folded\n  text",
    '"' + "x" * 3000 + '"',
    "[a, b]",
    "{a: 1}",
    "null",
    "true",
    "12",
    "1.5e300",
    "~",
    '"\\ud800 surrogate"',
    '"😀 emoji"',
    '"\\u202e rtl override"',
    "'quote''s'",
    '"<b>bold</b>"',
    '"{{ 7*7 }}"',
    '"*|FNAME|*"',
    "&a x",
    "*a",
    '"a\\rb"',
]
KEYS = [
    "title",
    "subtitle",
    "subject",
    "preheader",
    "date",
    "send_at",
    "slug",
    "draft",
    "lang",
    "hero-img",
    "layout",
    "Title",
    "DATE",
    "subtitel",
    "?",
    "- list",
]
RAW_HTML = [
    "<div><![ x]></div>",
    "<!DOCTYPE [x]>",
    "<![CDATA[x]]>",
    "<script>alert(1)</script>",
    "<iframe src=x>",
    "<table><tr><td>cell",
    "<a href='javascript:x'>x</a>",
    "<img src=x>",
    "<style>p{}</style>",
    "<!-- c -->",
    "<br/>",
    "</div></div>",
    "<p onclick=x>t</p>",
    "<video><source src=x></video>",
    "<svg><script>x</script></svg>",
    "<form>",
    "<math>",
    "<a name=x></a><a href=#x>in</a>",
    "<table>" * 30,
    "<!--",
    "<",
    "&#x0;",
    "&#xD800;",
]
MARKDOWN = [
    "# H",
    "###### h6",
    "Setext\n===",
    "- a\n  - b\n    - c",
    "1. x\n2. y",
    "> q\n> > qq",
    "```\ncode\n```",
    "    indented",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "[ref]\n\n[ref]: http://x",
    "x[^1]\n\n[^1]: note",
    "~~s~~",
    "***bold em***",
    "[link](<> 'title')",
    "![](img.png)",
    "[![img](a.png)](b)",
    "<https://auto.link>",
    "TODO: write",
    "{% if x %}",
    "{: .class}",
    "\\",
    "`" * 7,
    "* " * 30 + "x",
    "- [ ] task",
    "\u0000",
    "\u200b\u200d",
    "\r\n\r",
    "\t" * 40,
]


def hostile_issue(rng: random.Random) -> bytes:
    """One issue file: a valid one bent out of shape, or one built from hostile parts."""
    shape = rng.random()
    if shape < 0.2:
        return _mutated(rng, VALID.encode())
    header = ["---"] if rng.random() < 0.85 else [rng.choice(["+++", "Title: T", "---x", ""])]
    lines = {"title": '"T"', "date": "2027-03-05"}
    # about half the files have a sound header, so the body reaches the renderer
    for _ in range(rng.randint(0, 5) if rng.random() < 0.5 else 0):
        key = rng.choice(KEYS)
        lines[key] = rng.choice(DATES if "date" in key.lower() or key == "send_at" else TEXTS)
    if rng.random() < 0.1:  # a "billion laughs"
        header += [
            f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9) if n else 'lol'}]" for n in range(6)
        ]
        lines["title"] = "*l5"
    header += [f"{key}: {value}" for key, value in lines.items() if rng.random() < 0.97]
    if rng.random() < 0.97:
        header.append(header[0] if header[0] in ("---", "+++") else "---")
    body = [rng.choice(MARKDOWN + RAW_HTML) for _ in range(rng.randint(0, 12))]
    if rng.random() < 0.15:  # nesting, at depths around and far past the limits
        depth = rng.choice([10, 49, 51, 99, 101, 500, 4000, 20000])
        unit = rng.choice(["> ", "- ", "> - ", "1. "])
        body.append(unit * depth + "x")
    if rng.random() < 0.1:
        depth = rng.choice([50, 101, 3000, 20000])
        tag = rng.choice(["div", "span", "table><tr><td", "blockquote", "b"])
        body.append(f"<{tag}>" * depth + "x")
    text = "\n".join(header) + "\n" + "\n\n".join(body) + "\n"
    data = text.encode("utf-8", "surrogatepass")
    return _mutated(rng, data) if rng.random() < 0.1 else data


def _mutated(rng: random.Random, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if not data:
            break
        where = rng.randrange(len(data))
        choice = rng.random()
        if choice < 0.3:
            data[where] = rng.randrange(256)
        elif choice < 0.5:
            del data[where : where + rng.randint(1, 20)]
        elif choice < 0.7:
            data[where:where] = rng.choice([b"\r", b"\n---\n", b"\x00", b"\xff\xfe", b"\t", b"*"])
        else:
            data = data[: rng.randrange(len(data) + 1)]
    return bytes(data)


@dataclass
class Tally:
    inputs: int = 0
    built: int = 0
    clean_errors: int = 0
    tracebacks: int = 0
    crashes: int = 0
    hangs: int = 0

    def line(self) -> str:
        return (
            f"{self.inputs} inputs: {self.built} built, {self.clean_errors} clean errors, "
            f"{self.tracebacks} tracebacks, {self.crashes} crashes, {self.hangs} hangs"
        )


BUILT, CLEAN, TRACEBACK = 0, 3, 4
_FIELDS = {
    "built": "built",
    "clean": "clean_errors",
    "traceback": "tracebacks",
    "crash": "crashes",
    "hang": "hangs",
}


def run_one(path: Path, out_dir: Path, seconds: int = 20) -> str:
    """Build and check one file in a forked child: built, clean, traceback, crash or hang."""
    pid = os.fork()
    if pid == 0:  # the child: everything a user's `mailer build` and `mailer check` run
        code = TRACEBACK
        try:
            signal.alarm(seconds)
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            from mailer.build.issues import build_one
            from mailer.core.config import Settings
            from mailer.core.errors import MailerError

            try:
                build_one(path, Settings(), out_dir)
                code = BUILT
            except MailerError as exc:
                message = str(exc)
                code = CLEAN if message.startswith(str(path)) and "\n" not in message else 5
        except BaseException:
            traceback.print_exc(file=sys.stderr)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return "hang" if os.WTERMSIG(status) == signal.SIGALRM else "crash"
    code = os.WEXITSTATUS(status)
    return {BUILT: "built", CLEAN: "clean"}.get(code, "traceback")


def fuzz(seed: int, count: int, folder: Path, seconds: int = 20) -> tuple[Tally, list[Path]]:
    """Generate `count` files from `seed` into `folder`, run each; the tally and the bad files."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    from mailer.build.issues import build_one  # imported and warmed once: each child is a fork
    from mailer.core.config import Settings

    (folder / "warm.md").write_text(VALID)
    build_one(folder / "warm.md", Settings(), folder / "out")
    out_dir = folder / "out"
    tally, bad = Tally(), []
    for n in range(count):
        path = folder / f"fuzz-{seed}-{n:05d}.md"
        path.write_bytes(hostile_issue(rng))
        result = run_one(path, out_dir, seconds)
        tally.inputs += 1
        field = _FIELDS[result]
        setattr(tally, field, getattr(tally, field) + 1)
        if result not in ("built", "clean"):
            bad.append(path)
    return tally, bad
