"""Commands that talk to the provider or a mail server: sync, import, push, status, test-send."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from mailer.commands.state import State


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print the plan; make no change at the provider.")
@click.option(
    "--allow-errors",
    is_flag=True,
    help="Schedule issues even when `mailer check` finds errors in them (this run only).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def sync(
    state: State, paths: tuple[Path, ...], dry_run: bool, allow_errors: bool, fmt: str
) -> None:
    """Make the provider match the repository: create, update, schedule, unschedule.

    Safe to run any number of times, and beside another run: nothing changed, nothing written;
    never a second email for an issue, never a send now, never a change to an email already
    sent. Past issues that were never pushed are reported, not sent; an issue with `mailer
    check` errors stays a draft. Every write is read back. Prints the plan, then the result;
    exit 1 when anything failed or needs a person.

    Example: MAILER_BUTTONDOWN_API_KEY=... mailer sync --dry-run
    """
    from mailer.core.github import annotation_lines, in_actions, write_summary
    from mailer.providers import get_provider
    from mailer.sync import sync as run_sync
    from mailer.sync.report import format_report, report_findings, report_json

    settings = state.settings()
    provider = get_provider(settings)
    from mailer.commands.state import progress_line

    report = run_sync(
        state.issues(paths),
        settings,
        provider,
        dry_run=dry_run,
        allow_errors=allow_errors,
        progress=progress_line("written"),
    )
    if fmt == "json":
        click.echo(json.dumps(report_json(report), indent=2, ensure_ascii=False))
    text = format_report(report, settings, provider.display_name, dry_run)
    if fmt != "json":
        click.echo(text)
    if in_actions():  # with json, on stderr: stdout stays one document
        click.echo(annotation_lines(report_findings(report)), err=fmt == "json")
    write_summary(f"### mailer sync\n\n```\n{text}\n```")
    if report.failed:
        sys.exit(1)


@click.command("import")
@click.option(
    "--into",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder to write the issue files into (default: issues/ beside newsletter.toml).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be written; write nothing.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def import_command(state: State, into: Path | None, dry_run: bool, fmt: str) -> None:
    """Bring a newsletter in from the provider: one issue file per email.

    Sent, scheduled and draft emails each become an issue file (title, preheader, date, send
    time, draft, slug; the body as Markdown, HTML converted), and each email is adopted: the
    next `mailer sync` finds it up to date and changes nothing. Never overwrites a file; says
    what it could not convert. Buttondown only, for now.

    Example: MAILER_BUTTONDOWN_API_KEY=... mailer import --dry-run
    """
    from mailer.commands.state import progress_line
    from mailer.providers import get_provider
    from mailer.sync.importing import import_emails

    settings = state.settings()
    provider = get_provider(settings)
    folder = into or state.folder("issues")
    report = import_emails(
        provider, settings, folder, dry_run=dry_run, progress=progress_line("emails")
    )
    if fmt == "json":
        click.echo(json.dumps(_import_json(report), indent=2, ensure_ascii=False))
    else:
        verb = "would write" if dry_run else "wrote"
        for done in report.written:
            click.echo(f"{verb} {done.path} ({done.state}): {done.subject}")
            for note in done.notes:
                click.echo(f"    {note}")
        for subject, why in report.skipped:
            click.echo(f"skipped {subject!r}: {why}")
        for subject, error in report.failed:
            click.echo(f"Error: {subject!r}: {error}", err=True)
        click.echo(
            f"{len(report.written)} {verb}, {len(report.skipped)} skipped, "
            f"{len(report.failed)} failed" + ("" if dry_run else f" (from {provider.display_name})")
        )
    if not report.ok:
        sys.exit(1)


def _import_json(report: Any) -> dict[str, Any]:
    return {
        "dry_run": report.dry_run,
        "written": [
            {"path": str(d.path), "subject": d.subject, "state": d.state, "notes": list(d.notes)}
            for d in report.written
        ],
        "skipped": [{"subject": s, "why": why} for s, why in report.skipped],
        "failed": [{"subject": s, "error": str(e)} for s, e in report.failed],
    }


@click.command()
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--draft", "as_draft", is_flag=True, help="Push as a draft (never scheduled).")
@click.option(
    "--at",
    "at",
    callback=lambda _ctx, _param, value: _parse_time(value),
    help="Schedule at this time: 2026-11-27T08:00:00-05:00, or "
    "'2026-11-27 08:00' in the newsletter's timezone.",
)
@click.option(
    "--allow-errors",
    is_flag=True,
    help="Schedule it even when `mailer check` finds errors in it.",
)
@click.pass_obj
def push(state: State, path: Path, as_draft: bool, at: datetime | None, allow_errors: bool) -> None:
    """Push one issue to the provider by hand: as a draft, or scheduled.

    Without --draft or --at, the issue is scheduled at its own send time (which must be in the
    future). Nothing is ever sent right away; an issue with `mailer check` errors is pushed as
    a draft unless --allow-errors.

    Example: mailer push issues/2026-11-27-hiring.md --draft
    """
    from mailer.providers import Target, get_provider
    from mailer.sync import describe_time, push_target
    from mailer.sync import push as push_issue

    settings = state.settings()
    if as_draft and at:
        raise click.UsageError("--draft and --at cannot be used together")
    rendered = _render(path, settings)
    target: Target = push_target(rendered.issue, settings, as_draft=as_draft, at=at)
    provider = get_provider(settings)
    result = push_issue(rendered, target, settings, provider, allow_errors=allow_errors)
    when = describe_time(target.at, settings) if target.at else ""
    click.echo(
        f"{result.action} {rendered.issue.slug} as {result.state} {when} "
        f"({provider.display_name} {result.remote_id}) {result.url}".rstrip()
    )


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def status(state: State, paths: tuple[Path, ...], fmt: str) -> None:
    """List issues with their state at the provider, and whether it matches the file.

    Example: mailer status
    """
    from mailer.providers import get_provider
    from mailer.providers.base import same_content
    from mailer.sync import describe_time, load_for_sync

    settings = state.settings()
    provider = get_provider(settings)
    loaded = load_for_sync(state.issues(paths), settings, allow_errors=True)
    broken = loaded.broken
    rows: list[dict[str, Any]] = []
    for want in loaded.wanted:
        issue, draft = want.issue, want.draft
        remote = provider.find(draft.key)
        if remote is None:
            where = "not pushed"
        else:
            same = "in sync" if same_content(remote, draft) else "file changed"
            where = f"{remote.status} ({remote.id}, {same})"
        local = "draft" if issue.draft else describe_time(issue.send_at, settings)
        rows.append(
            {
                "key": draft.key,
                "source": str(issue.path),
                "draft": issue.draft,
                "send_at": issue.send_at.isoformat(),
                "remote_id": remote.id if remote else None,
                "remote_status": remote.status if remote else None,
                "in_sync": bool(remote and same_content(remote, draft)),
            }
        )
        if fmt == "text":
            click.echo(f"{draft.key}  {local}  {where}")
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    for _, error in broken:
        click.echo(f"Error: {error}", err=True)
    if broken:
        sys.exit(1)


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a time; write 2026-11-27T08:00:00-05:00 or '2026-11-27 08:00'"
        ) from None


def _render(path: Path, settings: Any) -> Any:
    from mailer.checks.process import process

    return process(path, settings)


@click.command("test-send")
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
def test_send(state: State, path: Path, to: tuple[str, ...], via: str) -> None:
    """Send the exact rendered email to yourself, marked as a test.

    By SMTP (MAILER_SMTP_HOST, MAILER_SMTP_USERNAME, MAILER_SMTP_PASSWORD...) or through the
    provider, which first creates or updates the draft as sync would (never scheduling it,
    never sending to the list).

    Example: mailer test-send issues/2026-11-27-hiring.md --to me@example.org
    """
    from mailer.core.addresses import recipients as checked_recipients

    settings = state.settings()
    rendered = _render(path, settings)
    if via == "smtp":
        from mailer.smtp.send import send_test_smtp
        from mailer.smtp.settings import smtp_settings

        smtp = smtp_settings(settings)
        recipients = checked_recipients(to, "--to") or list(smtp.to)
        subject = send_test_smtp(rendered, settings, smtp, recipients)
        click.echo(f"sent {subject!r} to {', '.join(recipients)} via {smtp.server}")
    else:
        from mailer.providers import get_provider
        from mailer.sync import test_send_via_provider

        recipients = checked_recipients(to, "--to") or _default_test_to()
        provider = get_provider(settings)
        result = test_send_via_provider(provider, rendered, settings, recipients)
        click.echo(
            f"{provider.display_name} sent a test of {rendered.issue.slug} "
            f"({result.remote_id}, {result.state}) to {', '.join(recipients)}"
        )


def _default_test_to() -> list[str]:
    from mailer.core.addresses import recipients

    to = recipients([os.environ.get("MAILER_TEST_TO", "")], "MAILER_TEST_TO")
    if not to:
        raise click.UsageError("no recipient: pass --to ADDRESS or set MAILER_TEST_TO")
    return to
