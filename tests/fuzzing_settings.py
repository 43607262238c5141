"""Hostile settings, generated from a seed: ``newsletter.toml`` files and environment values, each
run through the commands a user runs, in a forked child, so that a traceback, a crash and a hang
are told apart from a clean error.

Odd but plausible values (``inf`` timeouts, placeholders ``archive_path`` does not know, paths
that climb out, quotes in addresses, lists of names where ids go, non-ASCII keys) beside plain
garbage. Every command must end in exit 0, 1 or 2 with no traceback, within its time.

Used by tests/test_hostile.py (a few hundred in CI) and bench/fuzz_settings.py (thousands).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ISSUE = "---\ntitle: An issue\nsubtitle: Its subtitle\ndate: {day}\n---\n\nHello [a](https://example.org/a).\n"

KEYS: dict[str, list[str]] = {
    "newsletter": [
        "name", "url", "language", "timezone", "send_time", "from", "archive_path",
        "feed_items", "address", "commercial", "subscribe_url", "utm", "nonsense",
    ],
    "theme": ["accent", "width", "logo", "logo_alt", "logo_width", "subtitle", "colour"],
    "provider": ["name", "auto_schedule", "grace_minutes", "timeout", "retries"],
    "smtp": ["host", "port", "security", "username", "to", "password"],
    "provider.buttondown": ["template", "extra", "base_url", "list_id"],
    "provider.mailchimp": ["list_id", "extra", "base_url", "lists"],
    "provider.listmonk": ["base_url", "lists", "template_id", "extra"],
    "provider.kit": ["extra", "template", "base_url"],
}  # fmt: skip

STRINGS = [
    "", " ", "x", "Field Notes", "buttondown", "mailchimp", "listmonk", "kit", "sendgrid",
    "naked", "classic", "none", "ssl", "starttls", "UTC", "Mars/Olympus", "Europe/Berlin",
    "../etc", "en", "ar", "zh-Hant-TW", "#1a5fb4", "#zzz", "red", "09:00", "25:61", "7",
    "https://news.example.org", "https://news.example.org/\"quoted\"", "http://x/<a>",
    "javascript:alert(1)", "//evil.example", "https://", "ftp://x.example/",
    "issues/{slug}/", "issues/{slug}/{year}/", "{slug}/{0}", "{slug!r}", "{slug:>40}",
    "../../../pwn-{slug}", "/abs/{slug}", "{slug}", "{", "}", "a//{slug}", "{slug}/..",
    "Jane <jane@example.org>", "jane@example.org", "a@b\nBcc: x@y", "<>", "@@",
    "x" * 5000, "\u202eevil", "emoji 📨", "a\x00b", "line\nbreak", "tab\there",
]  # fmt: skip
NUMBERS = [
    0, 1, -1, 5, 20, 60, 480, 640, 800, 801, 10**6, 2**63 - 1, -(2**63),
    0.0, -5.0, 1e-300, 1e300, 0.5,
]  # fmt: skip
SPECIAL = ["inf", "-inf", "nan", "1e400", "+inf"]  # TOML literals the serializer writes raw

ENV: dict[str, list[str]] = {
    "MAILER_HTTP_TIMEOUT": ["nan", "inf", "0", "-5", "1e400", "abc", "20", "0.001", "600"],
    "MAILER_PROVIDER": ["buttondown", "mailchimp", "listmonk", "kit", "nope", "Buttondown"],
    "MAILER_FROM": ["me@example.org", "Me <me@example.org>", "bad", "a@b\r\nX: y"],
    "MAILER_TEST_TO": ["me@example.org", "a@b, c@d", "nobody", ""],
    "MAILER_SMTP_PORT": ["2525", "99999", "-1", "abc", "0", "465"],
    "MAILER_SMTP_SECURITY": ["none", "ssl", "starttls", "tls", ""],
    "MAILER_SMTP_HOST": ["127.0.0.1", "", "no such host.invalid"],
}
# odd values of the right type for a key, in TOML: the ones that get past the type check
PLAUSIBLE: dict[str, list[str]] = {
    "archive_path": [
        '"issues/{slug}/{year}/"', '"{slug}/{0}"', '"../../../pwn-{slug}"', '"/{slug}/"',
        '"{slug!r}"', '"a\\"b/{slug}"', '"{slug}/"', '"posts/{slug}.html"', '"{{slug}}"',
    ],
    "timeout": ["inf", "-inf", "nan", "1e400", "0", "-5", "0.001", "1e-300", "600", "601"],
    "grace_minutes": ["-1", "0", "100000", "9223372036854775807"],
    "feed_items": ["-1", "0", "100000", "9223372036854775807"],
    "width": ["479", "480", "800", "801", "-640"],
    "logo_width": ["0", "16", "5000"],
    "url": ['"https://x.org/\\"a"', '"https://x.org/a b"', '"https://x.org/<a>"', '"http://x"'],
    "subscribe_url": ['"https://x.org/\\"a"', '"mailto:x@y"'],
    "logo": ['"logo.png"', '"https://x.org/l.png\\"onerror=\\"x"'],
    "lists": ['["one"]', "[1, 2]", "[]", "[0]", "[-1]", "[1.5]", '"1"', "[true]"],
    "template_id": ['"classic"', "5", "0", "-3", "1.5"],
    "list_id": ['""', '"abc"', "123", "[1]"],
    "template": ['"classic"', '"fancy"', '""'],
    "port": ["99999", "-1", "0", '"465"', "25"],
    "send_time": ['"24:00"', '"9:5"', '"07:30"'],
    "utm": ['{source = "a\\nb"}', '{campaign = "{slug}"}', "{}"],
    "extra": ['{status = "about_to_send"}', '{tracking = {opens = true}}', '"x"'],
}  # fmt: skip
KEY_FORMS = ["{key}", "ключ-{key}", "{key}\u00e9", " {key} ", "{key}\u2028x", "short"]


@dataclass
class Case:
    """One generated set-up: the file's text and the environment."""

    toml: str
    env: dict[str, str]
    command: list[str]


@dataclass
class Tally:
    runs: int = 0
    by_code: dict[int, int] = field(default_factory=dict)
    tracebacks: int = 0
    crashes: int = 0
    hangs: int = 0

    def line(self) -> str:
        codes = ", ".join(f"exit {code}: {n}" for code, n in sorted(self.by_code.items()))
        return (
            f"{self.runs} runs ({codes}): {self.tracebacks} tracebacks, {self.crashes} crashes, "
            f"{self.hangs} hangs"
        )


def toml_value(rng: random.Random) -> str:
    """A value in TOML's syntax, of any type."""
    kind = rng.randrange(9)
    if kind == 0:
        return json.dumps(rng.choice(STRINGS), ensure_ascii=False)
    if kind == 1:
        return repr(rng.choice(NUMBERS))
    if kind == 2:
        return rng.choice(SPECIAL)
    if kind == 3:
        return rng.choice(["true", "false"])
    if kind == 4:
        items = [toml_value(rng) for _ in range(rng.randrange(3))]
        if rng.random() < 0.5:
            items = [rng.choice(['"one"', "1", "2", "-3", "0"]) for _ in range(rng.randrange(3))]
        return "[" + ", ".join(items) + "]"
    if kind == 5:
        key = rng.choice(["source", "medium", "campaign", "status", "tracking", "x"])
        return "{" + f"{key} = {toml_value(rng)}" + "}"
    if kind == 6:
        return rng.choice(["1979-05-27T07:32:00Z", "1979-05-27", "07:32:00", "1979-05-27T00:32"])
    if kind == 7:
        return json.dumps(rng.choice(STRINGS[:40]))
    return repr(rng.choice([0, 1, 20, 60, 640]))


def hostile_settings(rng: random.Random, port_of: dict[str, str]) -> tuple[str, dict[str, str]]:
    """A newsletter.toml and environment: mostly sound, with a few odd or broken values."""
    provider = rng.choice(["buttondown", "mailchimp", "listmonk", "kit"])
    tables: dict[str, dict[str, str]] = {
        "newsletter": {"name": '"Fuzzed"', "url": '"https://news.example.org"'},
        "provider": {"name": json.dumps(provider)},
    }
    if provider == "mailchimp":
        tables["provider.mailchimp"] = {"list_id": '"list1"'}
    if provider == "listmonk":
        tables["provider.listmonk"] = {"lists": "[1]"}
    for _ in range(rng.randrange(1, 5)):
        section = rng.choice(list(KEYS))
        key = rng.choice(KEYS[section])
        odd = PLAUSIBLE.get(key)
        value = rng.choice(odd) if odd and rng.random() < 0.6 else toml_value(rng)
        tables.setdefault(section, {})[key] = value
    lines: list[str] = []
    for section, values in tables.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {value}" for key, value in values.items())
    text = "\n".join(lines) + "\n"
    if rng.random() < 0.05:  # not TOML at all
        cut = rng.randrange(len(text))
        text = text[:cut] + rng.choice(["[", "= =", '"', "\x00", "[[x]]\n[x]"]) + text[cut:]
    env = dict(port_of)  # each provider's key and address: the fakes on this machine
    for name, values in ENV.items():
        if rng.random() < 0.25:
            env[name] = rng.choice(values)
    if rng.random() < 0.15:
        var = rng.choice([n for n in env if n.endswith("_API_KEY")])
        env[var] = rng.choice(KEY_FORMS).format(key=env[var])
    return text, env


COMMANDS = [
    ["build", "issues", "-o", "out"],
    ["check", "issues"],
    ["check", "issues", "--format", "json"],
    ["archive", "issues", "-o", "site"],
    ["sync", "issues", "--dry-run"],
    ["status"],
    ["test-send", "issues/a.md", "--to", "me@example.org"],
]


def run_case(folder: Path, toml: str, env: dict[str, str], args: list[str], seconds: int) -> str:
    """Run `mailer ARGS` in a forked child in `folder`: "0"/"1"/"2" (its exit code),
    "traceback", "crash" or "hang"."""
    (folder / "newsletter.toml").write_text(toml, encoding="utf-8", errors="surrogatepass")
    err_path = folder / "stderr.txt"
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            signal.alarm(seconds)
            os.chdir(folder)
            os.environ.clear()
            os.environ.update(env)
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            os.dup2(os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 2)
            sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
            sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
            from mailer.cli import main

            try:
                main(args)
                code = 0
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else 1
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return "hang" if os.WTERMSIG(status) == signal.SIGALRM else "crash"
    code = os.WEXITSTATUS(status)
    if code not in (0, 1, 2) or "Traceback" in err_path.read_text(errors="replace"):
        return "traceback"
    return str(code)


@contextlib.contextmanager
def fakes() -> Iterator[dict[str, str]]:
    """Each provider's fake on 127.0.0.1, and the environment that points mailer at it."""
    from fakes import FAKES
    from fakes.server import FakeServer

    from mailer.providers import PROVIDERS

    with contextlib.ExitStack() as stack:
        env: dict[str, str] = {}
        for name, make in FAKES.items():
            fake = make()
            server = stack.enter_context(FakeServer(fake))
            fake.url, fake.server = server.url, server
            cls = PROVIDERS[name]
            env[cls.api_key_env[0]] = fake.api_key
            env[cls.base_url_env] = server.url + fake.base_path
        yield env


def fuzz(
    seed: int, count: int, folder: Path, seconds: int = 20
) -> tuple[Tally, list[tuple[str, dict[str, str], list[str], str]]]:
    """`count` generated set-ups from `seed`, each through one command; the tally and the bad
    ones (file, environment, command, what happened)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "issues").mkdir(exist_ok=True)
    soon = date.today().toordinal() + 10
    (folder / "issues" / "a.md").write_text(ISSUE.format(day=date.fromordinal(soon)))
    (folder / "issues" / "b.md").write_text(ISSUE.format(day="2020-01-03"))
    import mailer.cli  # noqa: F401  imported once: each child is a fork

    tally = Tally()
    bad: list[tuple[str, dict[str, str], list[str], str]] = []
    with fakes() as provider_env:
        for _ in range(count):
            toml, env = hostile_settings(rng, provider_env)
            args = rng.choice(COMMANDS)
            result = run_case(folder, toml, env, args, seconds)
            tally.runs += 1
            if result in ("0", "1", "2"):
                tally.by_code[int(result)] = tally.by_code.get(int(result), 0) + 1
                continue
            if result == "traceback":
                tally.tracebacks += 1
            elif result == "crash":
                tally.crashes += 1
            else:
                tally.hangs += 1
            bad.append((toml, env, args, (folder / "stderr.txt").read_text(errors="replace")))
    return tally, bad
