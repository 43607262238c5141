"""The command line: parse options, call one library function, print, set the exit code.

``MailerError`` is caught once, in ``main``: ``Error: <message>`` on stderr, exit 1, and the
traceback only with ``--debug`` or ``MAILER_DEBUG=1``. Anything else is a bug and crashes loudly.
Library modules are imported inside the commands so ``mailer --help`` starts fast.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from mailer import __version__
from mailer.errors import MailerError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


class _State:
    def __init__(self, config: Path | None, debug: bool) -> None:
        self.config = config
        self.debug = debug

    def settings(self) -> Any:
        from mailer.config import load_settings

        return load_settings(self.config)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="mailer")
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="newsletter.toml to use (default: the nearest one above the current folder).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, debug: bool) -> None:
    """Newsletter as code: Markdown issues in Git → responsive email → your provider.

    Start with `mailer build` (renders issues/ into build/) or `mailer new "Title"`.
    """
    ctx.obj = _State(config, debug or os.environ.get("MAILER_DEBUG") == "1")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("build"),
    show_default=True,
    help="Folder to write the outputs to.",
)
@click.pass_obj
def build(state: _State, paths: tuple[Path, ...], out_dir: Path) -> None:
    """Render issues to OUTPUT/<name>.html, .txt, .json and .eml.

    PATHS are issue files or folders (default: issues/). A bad issue is reported and the others
    are still built; the exit code is 1 if any failed.

    Example: mailer build issues/2024-05-03-spring.md -o /tmp/preview
    """
    from mailer.build import build_issues
    from mailer.github import annotation_lines, in_actions, table, write_summary
    from mailer.lint import GMAIL_CLIP_BYTES, count

    settings = state.settings()
    started = time.perf_counter()
    built = failed = 0
    warnings = errors = 0
    rows: list[tuple[object, ...]] = []
    actions = in_actions()
    for result in build_issues(list(paths) or [Path("issues")], settings, out_dir):
        if result.error is not None:
            failed += 1
            click.echo(f"Error: {result.error}", err=True)
            rows.append((f"`{result.source}`", "", "", f"**failed**: {result.error}"))
            if actions:
                click.echo(f"::error file={result.source}::{result.error}")
            continue
        if actions and result.findings:
            click.echo(annotation_lines(result.findings))
        built += 1
        counts = count(result.findings)
        warnings += counts["warning"]
        errors += counts["error"]
        note = _findings_note(counts)
        clip = "over" if result.html_bytes > GMAIL_CLIP_BYTES else "under"
        rows.append(
            (
                f"`{result.source}`",
                result.subject,
                f"{result.html_bytes / 1024:.1f} KB ({clip} 102 KB)",
                _findings_note(counts).lstrip(", ") or "none",
            )
        )
        click.echo(
            f"built {result.source} → {out_dir / result.source.stem}.html "
            f"({result.html_bytes / 1024:.0f} KB{note})"
        )
    took = time.perf_counter() - started
    summary = f"{built} built, {failed} failed in {took:.2f}s"
    if errors or warnings:
        summary += f" ({errors} error and {warnings} warning findings; see `mailer check`)"
    click.echo(summary)
    write_summary(
        f"### mailer build: {summary}\n\n"
        + table(["issue", "subject", "HTML size", "findings"], rows)
    )
    if failed:
        sys.exit(1)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text for people, json for tools, github for annotations.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too, not only on errors.")
@click.pass_obj
def check(state: _State, paths: tuple[Path, ...], fmt: str, strict: bool) -> None:
    """Check issues before they are sent: exit 1 on errors (and warnings with --strict).

    Every finding names the file and line, what is wrong and how to fix it. Rule ids are stable
    (see `mailer.checks`); JSON output is a list of {path, line, rule, severity, message}.

    Example: mailer check issues/ --strict --format github
    """
    from mailer.check import (
        check_paths,
        format_github,
        format_json,
        format_text,
        summary_markdown,
    )
    from mailer.github import in_actions, write_summary

    result = check_paths(list(paths) or [Path("issues")], state.settings())
    output = {"text": format_text, "json": format_json}.get(fmt)
    click.echo(output(result) if output else format_github(result.findings))
    if in_actions() and fmt == "text":
        click.echo(format_github(result.findings))
    write_summary(summary_markdown(result))
    if result.failed(strict):
        sys.exit(1)


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--port", default=8040, show_default=True, help="Port on 127.0.0.1 (0: any free).")
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in your browser.")
@click.pass_obj
def preview(state: _State, path: Path | None, port: int, open_browser: bool) -> None:
    """Preview issues in your browser, re-rendered live as you save.

    PATH is an issue file or a folder (default: issues/). Shows each issue at desktop and
    mobile widths, in dark mode, as plain text and HTML source, with its findings and size.
    Listens on 127.0.0.1 only. Stop it with Ctrl-C.

    Example: mailer preview issues/ --open
    """
    from mailer.issue import find_issues
    from mailer.preview import PreviewServer, PreviewSite

    paths = [path or Path("issues")]
    find_issues(paths)  # the same errors as build for a missing path or an empty folder
    site = PreviewSite(paths, state.settings)
    try:
        server = PreviewServer(site, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port} ({exc.strerror})") from None
    click.echo(f"Previewing {len(site.entries)} issue(s) at {server.url} (Ctrl-C to stop)")
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve()
    except KeyboardInterrupt:
        click.echo("Stopped.")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print the plan; make no change at the provider.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def sync(state: _State, paths: tuple[Path, ...], dry_run: bool, fmt: str) -> None:
    """Make the provider match the repository: create, update, schedule, unschedule.

    Safe to run any number of times: nothing changed, nothing written; never a second email
    for an issue, never a send now, never a change to an email already sent. Past issues that
    were never pushed are reported, not sent. Prints the plan, then the result.

    Example: MAILER_BUTTONDOWN_API_KEY=... mailer sync --dry-run
    """
    from mailer.github import annotation_lines, in_actions, write_summary
    from mailer.providers import get_provider
    from mailer.sync import format_report, report_findings, report_json
    from mailer.sync import sync as run_sync

    settings = state.settings()
    provider = get_provider(settings)
    report = run_sync(list(paths) or [Path("issues")], settings, provider, dry_run=dry_run)
    if fmt == "json":
        click.echo(json.dumps(report_json(report), indent=2, ensure_ascii=False))
    text = format_report(report, settings, provider.display_name, dry_run)
    if fmt != "json":
        click.echo(text)
    if in_actions():
        click.echo(annotation_lines(report_findings(report)))
    write_summary(f"### mailer sync\n\n```\n{text}\n```")
    if report.failed:
        sys.exit(1)


@cli.command()
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--draft", "as_draft", is_flag=True, help="Push as a draft (never scheduled).")
@click.option(
    "--at",
    "at",
    help="Schedule at this time: 2026-11-27T08:00:00-05:00, or "
    "'2026-11-27 08:00' in the newsletter's timezone.",
)
@click.pass_obj
def push(state: _State, path: Path, as_draft: bool, at: str | None) -> None:
    """Push one issue to the provider by hand: as a draft, or scheduled.

    Without --draft or --at, the issue is scheduled at its own send time (which must be in the
    future). Nothing is ever sent right away.

    Example: mailer push issues/2026-11-27-hiring.md --draft
    """
    from mailer.providers import Target, get_provider
    from mailer.sync import describe_time, draft_of, push_target

    settings = state.settings()
    if as_draft and at:
        raise click.UsageError("--draft and --at cannot be used together")
    rendered = _render(path, settings)
    target: Target = push_target(rendered.issue, settings, as_draft=as_draft, at=at)
    provider = get_provider(settings)
    result = provider.push(draft_of(rendered), target)
    when = describe_time(target.at, settings) if target.at else ""
    click.echo(
        f"{result.action} {rendered.issue.slug} as {result.state} {when} "
        f"({provider.display_name} {result.remote_id}) {result.url}".rstrip()
    )


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_obj
def status(state: _State, paths: tuple[Path, ...]) -> None:
    """List issues with their state at the provider, and whether it matches the file.

    Example: mailer status
    """
    from mailer.providers import get_provider
    from mailer.providers.base import same_content
    from mailer.sync import describe_time, load_for_sync

    settings = state.settings()
    provider = get_provider(settings)
    issues, broken = load_for_sync(list(paths) or [Path("issues")], settings)
    for issue, draft in issues:
        remote = provider.find(draft.key)
        if remote is None:
            where = "not pushed"
        else:
            same = "in sync" if same_content(remote, draft) else "file changed"
            where = f"{remote.status} ({remote.id}, {same})"
        local = "draft" if issue.draft else describe_time(issue.send_at, settings)
        click.echo(f"{draft.key}  {local}  {where}")
    for _, error in broken:
        click.echo(f"Error: {error}", err=True)
    if broken:
        sys.exit(1)


def _render(path: Path, settings: Any) -> Any:
    from mailer.build import render_path

    return render_path(path, settings)


@cli.command("test-send")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--to", "to", multiple=True, help="Recipient (repeatable; default MAILER_TEST_TO).")
@click.option(
    "--via",
    type=click.Choice(["smtp", "provider"]),
    default="smtp",
    show_default=True,
    help="smtp: your own mail server; provider: the provider's test send.",
)
@click.pass_obj
def test_send(state: _State, path: Path, to: tuple[str, ...], via: str) -> None:
    """Send the exact rendered email to yourself, marked as a test.

    By SMTP (MAILER_SMTP_HOST, MAILER_SMTP_USERNAME, MAILER_SMTP_PASSWORD...) or through the
    provider, which first creates or updates the draft as sync would (never scheduling it,
    never sending to the list).

    Example: mailer test-send issues/2026-11-27-hiring.md --to me@example.org
    """
    settings = state.settings()
    rendered = _render(path, settings)
    if via == "smtp":
        from mailer.config import smtp_settings
        from mailer.smtp import send_test_smtp

        smtp = smtp_settings(settings)
        recipients = list(to) or list(smtp.to)
        subject = send_test_smtp(rendered, settings, smtp, recipients)
        click.echo(f"sent {subject!r} to {', '.join(recipients)} via {smtp.server}")
    else:
        from mailer.providers import get_provider
        from mailer.sync import draft_of, test_send_via_provider

        recipients = list(to) or _default_test_to()
        provider = get_provider(settings)
        result = test_send_via_provider(provider, draft_of(rendered), recipients)
        click.echo(
            f"{provider.display_name} sent a test of {rendered.issue.slug} "
            f"({result.remote_id}, {result.state}) to {', '.join(recipients)}"
        )


def _default_test_to() -> list[str]:
    to = [a.strip() for a in os.environ.get("MAILER_TEST_TO", "").split(",") if a.strip()]
    if not to:
        raise click.UsageError("no recipient: pass --to ADDRESS or set MAILER_TEST_TO")
    return to


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("site"),
    show_default=True,
    help="Folder to write the site to.",
)
@click.pass_obj
def archive(state: _State, paths: tuple[Path, ...], out_dir: Path) -> None:
    """Build the public web archive: an index, a page per issue, an Atom feed and a sitemap.

    Drafts and issues not sent yet are left out. Each issue's page lives where the email's
    "view in browser" link points (newsletter.url + archive_path).

    Example: mailer archive issues -o site
    """
    from mailer.archive import build_archive

    result = build_archive(list(paths) or [Path("issues")], state.settings(), out_dir)
    for source, why in result.skipped:
        click.echo(f"left out {source}: {why}")
    click.echo(
        f"{len(result.pages)} issues, {result.files} files in {out_dir} ({result.seconds:.2f}s)"
    )


@cli.command()
@click.argument("title", required=False)
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("issues"),
    show_default=True,
    help="Folder of issues.",
)
@click.option("--date", "when", help="Issue date, YYYY-MM-DD (default: the next send day).")
@click.pass_obj
def new(state: _State, title: str | None, folder: Path, when: str | None) -> None:
    """Scaffold the next issue file and print its path.

    Example: mailer new "Spring cleaning"
    """
    from mailer.scaffold import new_issue

    path = new_issue(folder, state.settings(), title=title, when=when)
    click.echo(str(path))


def _findings_note(counts: dict[str, int]) -> str:
    parts = [f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in counts.items() if n]
    return ", " + ", ".join(parts) if parts else ""


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI; a MailerError becomes one line on stderr and exit code 1."""
    debug = os.environ.get("MAILER_DEBUG") == "1" or "--debug" in (argv or sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="mailer", standalone_mode=False)
    except MailerError as exc:
        if debug:
            raise
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
