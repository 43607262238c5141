"""Hostile input never crashes, hangs or leaks: one bad file stays one bad file, a clean
`path:line: message` for each, and no secret in any output."""

from __future__ import annotations

import base64
import gc
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from mailer.core.config import Settings
from mailer.core.errors import ConfigError, IssueError
from mailer.issue.load import load_issue, parse_issue
from mailer.render.pipeline import render_issue

GOOD = "---\ntitle: Fine\nsubtitle: S\ndate: 2027-01-05\n---\nA good issue.\n"


def mailer(*args, cwd, env=None, timeout=60, **kw):
    return subprocess.run(
        [sys.executable, "-m", "mailer", *args],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        **kw,
    )


def loaded(text: str):
    path = Path("issues/x.md")
    return render_issue(parse_issue(path, text.encode(), Settings()), Settings())


def refused(text: str) -> IssueError:
    with pytest.raises(IssueError) as caught:
        loaded(text)
    return caught.value


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("2027-02-30", 3),
        ("0000-00-00", 3),
        ("2027-13-01", 3),
        ("2027-01-01 25:00", 3),
        ("2027-01-01T10:00+99:00", 3),
        ("20026-01-01", 3),
    ],
)
def test_impossible_dates_name_their_line(value, line):
    error = refused(f"---\ntitle: T\ndate: {value}\n---\nBody\n")
    assert error.line == line and '"date"' in str(error) and str(error).startswith("issues/x.md:3")


def test_a_year_a_zone_cannot_hold_is_an_error_not_an_overflow():
    error = refused(
        "---\ntitle: T\ndate: 2027-01-05\nsend_at: 9999-12-31 23:00 Etc/GMT-14\n---\nB\n"
    )
    assert error.line == 4 and "send_at" in str(error)


def test_a_billion_laughs_is_refused_at_once():
    laughs = "".join(
        f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9) if n else 'lol'}]\n" for n in range(9)
    )
    started = time.perf_counter()
    error = refused(f"---\n{laughs}title: *l8\ndate: 2027-01-05\n---\nBody\n")
    assert time.perf_counter() - started < 0.5
    assert "aliases" in str(error) and len(str(error)) < 200


@pytest.mark.parametrize(
    "title",
    [
        '"Part 1\\nPart 2: the sequel"',
        "|\n  Line one\n  Bcc: x@example.org",
        '"NUL \\0"',
        '"ESC \\e[31m"',
        '"A\\u2028B"',
    ],
    ids=["newline", "block", "nul", "esc", "line-separator"],
)
def test_a_title_is_one_clean_line(title):
    error = refused(f"---\ntitle: {title}\ndate: 2027-01-05\n---\nBody\n")
    assert error.line == 2 and '"title"' in str(error)


def test_long_values_are_quoted_short():
    error = refused(f"---\ntitle: T\ndate: 2027-01-05\nslug: '{'x!' * 5000}'\n---\nBody\n")
    assert len(str(error)) < 200


@pytest.mark.parametrize(
    "body",
    [
        "<table><tr><td>" * 4000 + "x",
        "".join("> " if i % 2 == 0 else "- " for i in range(10_000)) + "x",
        "\n".join("  " * i + "- x" for i in range(400)),
        "<div>" * 200_000 + "x",
        ">" * 2_000_000 + " x",
    ],
    ids=["deep-table", "quote-list", "nested-list", "divs", "quotes"],
)
def test_nesting_past_the_limits_is_refused_quickly(body):
    started = time.perf_counter()
    error = refused(f"---\ntitle: T\ndate: 2027-01-05\n---\n{body}\n")
    assert time.perf_counter() - started < 3
    assert "nest" in str(error) and error.line is not None and error.line >= 5


@pytest.mark.parametrize(
    "body",
    [
        '<a href="https://x.example/"><video ' + "<a x" * 100_000,  # tags never closed
        "[up](#a)\n\n" + "".join(f'<h2 id="a">{n}</h2>\n' for n in range(20_000)),
    ],
    ids=["unclosed-tags-in-a-link", "one-id-20000-times"],
)
def test_what_would_be_quadratic_is_linear(body, write_issue, make_settings):
    """Linked players (media.py) and repeated ids (anchors.py): once 20 s at these sizes."""
    settings = make_settings()
    source = write_issue(f"---\ntitle: T\ndate: 2027-01-05\n---\n{body}\n")
    started = time.perf_counter()
    rendered = render_issue(load_issue(source, settings), settings)
    assert time.perf_counter() - started < 5
    assert rendered.html


def test_nesting_within_the_limits_renders():
    lists = "\n".join("  " * i + "- x" for i in range(20))
    html = loaded(f"---\ntitle: T\ndate: 2027-01-05\n---\n{lists}\n\n" + "<div>" * 40 + "y").html
    assert html.count("<ul") >= 20


def test_marked_sections_in_raw_html_are_text_not_a_crash():
    rendered = loaded(
        "---\ntitle: T\ndate: 2027-01-05\n---\n<div><![ x]></div>\n\n<!DOCTYPE [a]>\n"
    )
    assert "x" in rendered.text


def test_an_issue_over_5_mb_is_refused_before_parsing(tmp_path):
    path = tmp_path / "big.md"
    path.write_bytes(b"---\ntitle: T\ndate: 2027-01-05\n---\n" + b"x" * 5_100_000)
    from mailer.issue.load import load_issue

    with pytest.raises(IssueError, match="over 5 MB"):
        load_issue(path, Settings())


def test_one_bad_file_stays_one_bad_file_in_every_command(tmp_path):
    issues = tmp_path / "issues"
    issues.mkdir()
    (issues / "a-good.md").write_text(GOOD)
    (issues / "b-bad-date.md").write_text("---\ntitle: T\ndate: 2027-02-30\n---\nBody\n")
    (issues / "c-laughs.md").write_text("---\na: &a [x]\ntitle: *a\ndate: 2027-01-05\n---\nB\n")
    (issues / "d-deep.md").write_text("---\ntitle: T\ndate: 2027-01-05\n---\n" + "<div>" * 5000)
    build = mailer("build", "issues", "-o", "out", cwd=tmp_path)
    assert build.returncode == 1 and "Traceback" not in build.stderr
    assert "1 built, 3 failed" in build.stdout
    assert f"issues{os.sep}b-bad-date.md:3: front matter" in build.stderr
    assert (tmp_path / "out" / "a-good.html").exists()
    check = mailer("check", "issues", "--format", "json", cwd=tmp_path)
    assert check.returncode == 1 and "Traceback" not in check.stderr
    import json

    rows = json.loads(check.stdout)
    assert {Path(r["path"]).name for r in rows if r["rule"] == "issue"} == {
        "b-bad-date.md",
        "c-laughs.md",
        "d-deep.md",
    }
    archive = mailer("archive", "issues", "-o", "site", cwd=tmp_path)
    assert "Traceback" not in archive.stderr


def test_a_crash_in_a_worker_is_that_issues_error(tmp_path):
    """If a native library still kills a worker, only the issue that did it fails."""
    from mailer.issue import batch

    paths = []
    for n in range(30):
        path = tmp_path / f"i{n:02d}.md"
        path.write_text(GOOD)
        paths.append(path)
    assert gc.get_freeze_count() == 0
    outcomes = list(batch.run(crash_on_i07, paths, Settings(), workers=3))
    assert gc.get_freeze_count() == 0  # what the workers inherit is frozen only meanwhile
    assert [o.source for o in outcomes] == paths
    crashed = [o for o in outcomes if o.error is not None]
    assert [o.source.name for o in crashed] == ["i07.md"]
    assert "mailer crashed while rendering this issue" in str(crashed[0].error)
    assert all(o.value == "ok" for o in outcomes if o.error is None)


def crash_on_i07(source: Path, settings: Settings) -> str:
    if source.name == "i07.md":
        os.kill(os.getpid(), signal.SIGKILL)  # as a segfault would: the process is gone
    return "ok"


def test_the_pool_works_where_linux_calls_are_missing(tmp_path, monkeypatch):
    """macOS and Windows: no sched_getaffinity, no fork: spawn and os.cpu_count instead."""
    from mailer.issue import batch

    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(batch, "start_method", lambda: "spawn")
    assert batch.cpu_count() >= 1
    from mailer.build.issues import build_issues

    for n in range(25):
        (tmp_path / f"i{n:02d}.md").write_text(GOOD)
    built = list(build_issues([tmp_path], Settings(), tmp_path / "out", workers=2))
    assert len(built) == 25 and all(b.error is None for b in built)


def test_a_full_disk_leaves_no_temporary_file(tmp_path):
    (tmp_path / "issues").mkdir()
    (tmp_path / "issues" / "a.md").write_text(GOOD)

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (8000, 8000))

    result = mailer("build", "issues", "-o", "out", cwd=tmp_path, preexec_fn=small_files)
    assert result.returncode == 1 and "cannot write" in result.stderr
    assert "Traceback" not in result.stderr
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--to", "me@example.org\r\nBcc: everyone@example.org"),
        ("MAILER_TEST_TO", "me@example.org\nBcc: everyone@example.org"),
        ("MAILER_FROM", "Ed <ed@example.org>\r\nBcc: everyone@example.org"),
    ],
)
def test_a_line_break_in_an_address_is_refused_before_anything_is_sent(tmp_path, flag, value):
    (tmp_path / "a.md").write_text(GOOD)
    with socket.socket() as listener:  # a server that must never hear from us
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.1)
        env = {"MAILER_SMTP_HOST": "127.0.0.1", "MAILER_SMTP_PORT": str(listener.getsockname()[1])}
        env["MAILER_SMTP_SECURITY"] = "none"
        args = ["test-send", "a.md"]
        if flag == "--to":
            args += ["--to", value]
        else:
            env[flag] = value
            if flag == "MAILER_FROM":
                args += ["--to", "me@example.org"]
        result = mailer(*args, cwd=tmp_path, env=env)
        with pytest.raises(TimeoutError):
            listener.accept()
    assert result.returncode == 2 and "line break" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_newsletters_from_must_be_one_address(tmp_path):
    (tmp_path / "newsletter.toml").write_text(
        '[newsletter]\nfrom = "Ed <ed@x.org>, Bcc <b@y.org>"\n'
    )
    (tmp_path / "a.md").write_text(GOOD)
    result = mailer("build", "a.md", "-o", "out", cwd=tmp_path)
    assert result.returncode == 2 and "newsletter.from must be an email address" in result.stderr


# -- secrets -------------------------------------------------------------------------------


def forms(secret: str) -> list[str]:
    """The shapes a secret could be echoed in."""
    raw = secret.encode()
    return [
        secret,
        base64.b64encode(raw).decode(),
        base64.b64encode(b"mailer:" + raw).decode(),
        base64.b64encode(b"\0editor\0" + raw).decode(),
        quote(secret, safe=""),
    ]


def leaked(secret: str, *texts: str) -> list[str]:
    return [form for form in forms(secret) for text in texts if form in text]


def test_every_command_keeps_the_key_out_of_every_output(tmp_path, any_provider):
    """Fakes that echo the whole request in their errors; every command that talks to the
    provider, in text and JSON, with --debug, in GitHub Actions (annotations, job summary)."""
    from datetime import UTC, datetime, timedelta

    root = tmp_path / "news"
    (root / "issues").mkdir(parents=True)
    options = "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in any_provider.options.items())
    (root / "newsletter.toml").write_text(
        f'[provider]\nname = "{any_provider.name}"\n[provider.{any_provider.name}]\n{options}'
    )
    soon = (datetime.now(UTC) + timedelta(days=3)).date()
    (root / "issues" / "a.md").write_text(f"---\ntitle: A\nsubtitle: S\ndate: {soon}\n---\nB\n")
    summary = root / "summary.md"
    env = {
        **any_provider.env,
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "MAILER_TEST_TO": "me@example.org",
    }
    fake = any_provider.fake
    outputs: list[str] = []
    commands = [
        ["sync"],
        ["sync", "--format", "json"],
        ["--debug", "sync"],
        ["push", "issues/a.md", "--draft"],
        ["--debug", "push", "issues/a.md", "--draft"],
        ["status"],
        ["test-send", "issues/a.md", "--via", "provider"],
    ]
    for args in commands:
        for call in (fake.list_call, fake.create_call, fake.update_call):
            fake.echo_next(*call, 422)
        fake.echo_next(*fake.list_call, 401)
        result = mailer(*args, cwd=root, env=env)
        outputs += [result.stdout, result.stderr]
        fake.faults.clear()
    outputs.append(summary.read_text() if summary.exists() else "")
    assert any("[redacted]" in text for text in outputs)  # the echoes did reach the output
    assert leaked(any_provider.key, *outputs) == []


def test_a_key_with_a_pasted_newline_works_and_one_inside_is_refused_unshown(
    buttondown, make_settings
):
    from fakes.buttondown import API_KEY

    from mailer.providers import get_provider

    padded = {
        "MAILER_BUTTONDOWN_API_KEY": f" {API_KEY}\n",
        "MAILER_BUTTONDOWN_BASE_URL": buttondown.url,
    }
    assert get_provider(make_settings(), padded).emails() == []
    inside = {**padded, "MAILER_BUTTONDOWN_API_KEY": API_KEY[:8] + "\n" + API_KEY[8:]}
    with pytest.raises(ConfigError) as caught:
        get_provider(make_settings(), inside)
    assert "MAILER_BUTTONDOWN_API_KEY" in str(caught.value) and API_KEY[8:] not in str(caught.value)


def test_the_key_never_follows_a_redirect_or_a_link_to_another_host(any_provider, make_settings):
    from fakes.server import Reply

    from mailer.core.errors import ProviderError

    elsewhere = "http://127.0.0.2:9/steal"
    any_provider.fake.fail_next(*any_provider.fake.list_call, 302, {}, {"Location": elsewhere})
    with pytest.raises(ProviderError, match="redirected"):
        any_provider.provider(make_settings).emails()
    assert isinstance(Reply, type)


def test_buttondown_next_page_on_another_host_is_refused(buttondown, provider):
    from mailer.core.errors import ProviderError

    buttondown.fail_next(
        "GET",
        "/emails",
        200,
        {"results": [], "count": 9, "next": "https://attacker.example/emails?page=2"},
    )
    with pytest.raises(ProviderError, match="another address"):
        provider.emails()


@pytest.mark.parametrize("base", ["http://api.example.org/v1", "ftp://x"])
def test_the_key_only_travels_over_https_but_to_this_machine(buttondown, make_settings, base):
    from fakes.buttondown import API_KEY

    from mailer.providers import get_provider

    env = {"MAILER_BUTTONDOWN_API_KEY": API_KEY, "MAILER_BUTTONDOWN_BASE_URL": base}
    with pytest.raises(ConfigError, match="must start with https://"):
        get_provider(make_settings(), env)


def test_a_hosted_providers_address_is_not_taken_from_newsletter_toml(tmp_path):
    (tmp_path / "newsletter.toml").write_text(
        '[provider.buttondown]\nbase_url = "https://evil.example"\n'
    )
    (tmp_path / "a.md").write_text(GOOD)
    result = mailer(
        "sync", "a.md", "--dry-run", cwd=tmp_path, env={"MAILER_BUTTONDOWN_API_KEY": "k" * 20}
    )
    assert result.returncode == 2 and "base_url is not read from newsletter.toml" in result.stderr


@pytest.mark.parametrize("lines", [1, 2])
def test_an_smtp_server_that_echoes_auth_never_shows_the_password(tmp_path, lines):
    """The password echoed in plain text and as the AUTH PLAIN blob; with two lines, the blob
    is cut in two by a multi-line 535 reply (each half after its own reply code)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    password = "s3cret-Pa55word-echoed"
    blob = base64.b64encode(b"\0editor\0" + password.encode()).decode()

    def echoing(server, session, envelope, mechanism, auth_data):
        if lines == 2:
            cut = len(blob) // 2 + 1
            message = f"535-5.7.8 no: {blob[:cut]}\r\n535 5.7.8 {blob[cut:]}"
        else:
            message = f"535 no: {password} {blob}"
        return AuthResult(success=False, handled=False, message=message)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(
        object(),
        hostname="127.0.0.1",
        port=port,
        authenticator=echoing,
        auth_require_tls=False,
        auth_exclude_mechanism=["LOGIN"],
    )
    controller.start()
    try:
        (tmp_path / "a.md").write_text(GOOD)
        env = {
            "MAILER_SMTP_HOST": "127.0.0.1",
            "MAILER_SMTP_PORT": str(port),
            "MAILER_SMTP_SECURITY": "none",
            "MAILER_SMTP_USERNAME": "editor",
            "MAILER_SMTP_PASSWORD": password,
        }
        result = mailer("test-send", "a.md", "--to", "me@example.org", cwd=tmp_path, env=env)
        debug = mailer(
            "--debug", "test-send", "a.md", "--to", "me@example.org", cwd=tmp_path, env=env
        )
        non_ascii = mailer(
            "test-send",
            "a.md",
            "--to",
            "me@example.org",
            cwd=tmp_path,
            env={**env, "MAILER_SMTP_PASSWORD": "pässwörd-non-ascii"},
        )
    finally:
        controller.stop()
    assert result.returncode == 1 and "[redacted]" in result.stderr
    assert leaked(password, result.stdout, result.stderr, debug.stdout, debug.stderr) == []
    for text in (result.stderr, debug.stderr):
        joined = text.replace("\n5.7.8 ", "").replace("\n", "")
        assert pieces_shown(blob[12:-4], joined) == [], text
    assert non_ascii.returncode == 1 and "Traceback" not in non_ascii.stderr
    assert "only ASCII" in non_ascii.stderr and "pässwörd" not in non_ascii.stderr


def test_redaction_finds_a_secret_inside_any_base64():
    from mailer.core import secrets

    secrets.register("Sup3r-secret-value")
    for prefix in (b"", b"x", b"xy", b"user:", b"\0me\0"):
        blob = base64.b64encode(prefix + b"Sup3r-secret-value" + b"tail").decode()
        assert "Sup3r" not in secrets.redact(blob) and "[redacted]" in secrets.redact(blob)


def shapes(secret: str) -> list[tuple[str, str]]:
    """(what a server might echo, the part of it that carries the secret): every shape the
    redaction must find. The secret-bearing part of a base64 blob leaves out the characters
    that mix in the bytes before and after it."""
    raw = secret.encode()
    found = [
        (secret, secret),
        (secret.upper(), secret.upper()),
        (secret.lower(), secret.lower()),
        (quote(secret, safe=""), quote(secret, safe="")),
        (quote(secret, safe="").lower(), quote(secret, safe="").lower()),
        (raw.hex(), raw.hex()),
        (raw.hex().upper(), raw.hex().upper()),
        ("x" * 280 + secret + " and more words after it", secret),  # past the 300-character cut
    ]
    for prefix in (b"", b"mailer:", b"\0editor\0", b"x"):
        for blob in (
            base64.b64encode(prefix + raw + b"!").decode(),
            base64.urlsafe_b64encode(prefix + raw + b"!").decode(),
        ):
            found.append((blob, blob[-(-len(prefix) * 4 // 3) + 1 : -4]))
    return found


def pieces_shown(secret_part: str, *texts: str) -> list[str]:
    """The 8-character pieces of `secret_part` that appear in any of `texts`."""
    return [
        secret_part[i : i + 8]
        for i in range(len(secret_part) - 7)
        for text in texts
        if secret_part[i : i + 8] in text
    ]


def test_a_key_echoed_in_any_shape_never_shows_for_any_provider(any_provider, make_settings):
    """The whole key and the part each provider treats as the secret (Mailchimp's digits
    without '-us21', listmonk's token without 'user:'), in every shape, whole or cut off by the
    300-character limit of a server's words."""
    from mailer.core.errors import ProviderError

    provider = any_provider.provider(make_settings)
    secrets_of_key = [any_provider.key, *any_provider.cls.secret_parts(any_provider.key)]
    assert len(secrets_of_key) == (2 if any_provider.name in ("mailchimp", "listmonk") else 1)
    for secret in secrets_of_key:
        for echoed, part in shapes(secret):
            said = f"bad request: {echoed}"
            body = {"detail": said, "message": said, "errors": [said], "title": said}
            any_provider.fake.fail_next(*any_provider.fake.list_call, 422, body)
            with pytest.raises(ProviderError) as caught:
                provider.emails()
            shown = str(caught.value)
            assert pieces_shown(part, shown) == [], (echoed[:60], shown)
            assert "[redacted]" in shown or len(part) < 8, shown


def test_nothing_that_is_not_secret_is_masked(buttondown, provider):
    """Buttondown's API version header is sent with the key, but it is a date, not a secret."""
    from fakes.buttondown import API_KEY

    from mailer.core import secrets
    from mailer.providers.buttondown import API_VERSION

    assert provider is not None and secrets.redact(API_KEY) == "[redacted]"
    said = f'{{"publish_date": "{API_VERSION}T10:00:00Z", "version": "{API_VERSION}"}}'
    assert secrets.redact(said) == said


def test_a_password_split_over_the_lines_of_a_reply_never_shows():
    """An SMTP 535 reply of two lines: the AUTH PLAIN blob cut in two, each half shown after
    its reply code; neither half may show enough to decode a piece of the password."""
    from mailer.core import secrets

    password = "s3cret-Pa55word-split-over-lines"
    secrets.register(password)
    blob = base64.b64encode(b"\0editor\0" + password.encode()).decode()
    core = blob[12:-4]
    for cut in range(14, len(blob) - 2):
        for separator in ("\n", "\r\n535-5.7.8 ", "\n5.7.8 ", "\n535 "):
            reply = f"5.7.8 Authentication failed for {blob[:cut]}{separator}{blob[cut:]}"
            shown = secrets.redact(reply)
            assert pieces_shown(core, shown.replace(separator, "")) == [], (cut, shown)


# -- the fuzzer ----------------------------------------------------------------------------


def test_fuzzed_issue_files_never_crash_hang_or_trace(tmp_path):
    """A bounded, seeded run in CI; `python bench/fuzz.py` runs thousands."""
    from fuzzing import fuzz

    count = int(os.environ.get("MAILER_FUZZ_COUNT", "150"))
    tally, bad = fuzz(seed=20261201, count=count, folder=tmp_path, seconds=20)
    assert (tally.tracebacks, tally.crashes, tally.hangs) == (0, 0, 0), (tally.line(), bad[:5])
    assert tally.built > count // 10 and tally.clean_errors > count // 10, tally.line()


def test_fuzzed_settings_never_crash_hang_or_trace(tmp_path):
    """newsletter.toml files and environment values, odd and broken, through every command
    that reads them; `python bench/fuzz_settings.py` runs thousands."""
    from fuzzing_settings import fuzz

    count = int(os.environ.get("MAILER_FUZZ_SETTINGS_COUNT", "400"))
    tally, bad = fuzz(seed=20261204, count=count, folder=tmp_path, seconds=20)
    assert (tally.tracebacks, tally.crashes, tally.hangs) == (0, 0, 0), (tally.line(), bad[:3])
    # most generated settings are wrong somewhere: exit 2, as a linter says of its configuration
    assert tally.by_code.get(0, 0) > 0 and tally.by_code.get(2, 0) > count // 2, tally.line()
