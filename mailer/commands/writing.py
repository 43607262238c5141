"""Commands that write and look at issues: build, check, preview, archive, new."""

from __future__ import annotations

import re
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import click

from mailer.commands.state import State, progress_line
from mailer.core.provider_facts import default_provider, known


@click.command()
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
@click.option(
    "--links",
    is_flag=True,
    help="Also follow every web address (the only check that uses the network).",
)
@click.option("--no-cache", is_flag=True, help="With --links: ask about every address again.")
@click.option(
    "--since",
    metavar="AGE",
    help="With --links: only issues dated within AGE, like 2y, 6m, 8w or 30d (link rot).",
)
@click.option(
    "--select",
    metavar="RULES",
    help="Only these rules (ids or prefixes, comma-separated: link,image-alt); "
    "replaces [check] select.",
)
@click.option(
    "--ignore", metavar="RULES", help="Never these rules either (adds to [check] ignore)."
)
@click.option("--statistics", is_flag=True, help="Count the findings per rule instead.")
@click.option(
    "--changed-since",
    metavar="REF",
    help="Only the issues changed since this Git ref (and not yet committed): a pull request's.",
)
@click.option(
    "--max-age",
    type=click.FloatRange(min=0, max=24 * 365 * 10),  # 10 years of hours at most
    callback=lambda _ctx, _param, value: _finite(value, "--max-age"),
    default=24.0,
    show_default=True,
    help="With --links: hours an address found good is not asked again.",
)
@click.pass_obj
def check(
    state: State,
    paths: tuple[Path, ...],
    fmt: str,
    strict: bool,
    links: bool,
    no_cache: bool,
    since: str | None,
    select: str | None,
    ignore: str | None,
    statistics: bool,
    changed_since: str | None,
    max_age: float,
) -> None:
    """Check issues before they are sent: exit 1 on errors (and warnings with --strict).

    Every finding names the file and line, what is wrong and how to fix it. Rule ids are stable
    (see `mailer.checks`); JSON output is a list of {path, line, rule, severity, message}.
    With --links, every link and image is followed too: dead ones are errors, moved ones,
    soft 404s and unreachable servers warnings.

    Choose rules in newsletter.toml ([check] select, ignore, severity) or with --select and
    --ignore; silence one finding with <!-- mailer: ignore RULE --> on its line or the line
    before. Exit codes: 0 nothing at gate level, 1 findings fail the gate, 2 a usage error or
    a configuration that is invalid or cannot be read.

    Example: mailer check issues/ --strict --format github
    """
    from dataclasses import replace

    from mailer.checks.issues import check_paths
    from mailer.checks.report import format_json, format_statistics, format_text, summary_markdown
    from mailer.core.github import annotations_that_fit, in_actions, write_summary

    settings = state.settings()
    if select is not None or ignore is not None:
        settings = replace(settings, policy=settings.policy.with_cli(select, ignore))
    sources = state.issues(paths)
    changed: set[Path] = set()
    if changed_since:
        from mailer.issue.gitfiles import changed_files

        changed = changed_files(changed_since, sources)
        sources = sorted(changed)
        if not sources:
            click.echo(f"no issue changed since {changed_since}: nothing to check")
            write_summary(f"### mailer check: no issue changed since `{changed_since}`")
            return
    result = check_paths(sources, settings, progress=progress_line("checked"))
    if links:
        from mailer.linkcheck import check_links

        report = check_links(
            sources,
            settings,
            use_cache=not no_cache,
            max_age=timedelta(hours=max_age),
            since=_since(since) if since else None,
            progress=progress_line("links"),
        )
        click.echo(
            f"links: {report.addresses} addresses, {report.asked} asked, "
            f"{report.remembered} good from the cache, in {report.seconds:.1f}s",
            err=True,
        )
        found = sorted(
            (*result.findings, *settings.policy.apply(report.findings)),
            key=lambda f: (str(f.path), f.line or 0),
        )
        result = replace(result, findings=tuple(found))
    first = {Path(p) for p in changed} or {Path(p) for p in paths if Path(p).is_file()}
    if statistics:
        click.echo(format_statistics(result))
    elif fmt == "github":
        click.echo(annotations_that_fit(result.findings, first))
    else:
        click.echo((format_json if fmt == "json" else format_text)(result))
    if in_actions() and fmt != "github":  # annotations on stderr: stdout stays one document
        click.echo(annotations_that_fit(result.findings, first), err=fmt == "json")
    write_summary(summary_markdown(result))
    if result.failed(strict):
        sys.exit(1)


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8040,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free).",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in your browser.")
@click.pass_obj
def preview(state: State, path: Path | None, port: int, open_browser: bool) -> None:
    """Preview issues in your browser, re-rendered live as you save.

    PATH is an issue file or a folder (default: issues/). Shows each issue at desktop and
    mobile widths, in dark mode, as plain text and HTML source, with its findings and size.
    Listens on 127.0.0.1 only. Stop it with Ctrl-C.

    Example: mailer preview issues/ --open
    """
    from mailer.issue.load import find_issues
    from mailer.preview.pages import PreviewSite
    from mailer.preview.server import PreviewServer

    paths = [path or state.folder("issues")]
    find_issues(paths)  # the same errors as build for a missing path or an empty folder
    site = PreviewSite(paths, state.load, render_now=False)  # the watcher renders: answer at once
    try:
        server = PreviewServer(site, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port} ({exc.strerror})") from None
    click.echo(f"Previewing at {server.url} (Ctrl-C to stop)")
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve()
    except KeyboardInterrupt:
        click.echo("Stopped.")


@click.command()
@click.argument("title", required=False)
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of issues (default: issues/ beside newsletter.toml).",
)
@click.option(
    "--date",
    "when",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Issue date, YYYY-MM-DD (default: the next send day).",
)
@click.pass_obj
def new(state: State, title: str | None, folder: Path | None, when: datetime | None) -> None:
    """Scaffold the next issue file and print its path.

    Example: mailer new "Spring cleaning"
    """
    from mailer.init.new_issue import new_issue

    folder = folder or state.folder("issues")
    path = new_issue(folder, state.settings(), title=title, when=when.date() if when else None)
    click.echo(str(path))


def _finite(value: float, option: str) -> float:
    if value != value:  # NaN passes every range, and then fails every use
        raise click.BadParameter("give a number of hours", param_hint=option)
    return value


def _since(age: str) -> date:
    """ "2y", "6m", "8w", "30d" → the date that long ago."""
    match = re.fullmatch(r"\s*(\d{1,4})\s*([ymwd])\s*", age.lower())
    if not match:
        raise click.BadParameter("give an age like 2y, 6m, 8w or 30d", param_hint="--since")
    days = int(match[1]) * {"y": 365, "m": 30, "w": 7, "d": 1}[match[2]]
    # an age past the calendar's start (3000y) means every issue
    return date.today() - timedelta(days=min(days, date.today().toordinal() - 1))


def findings_note(counts: dict[str, int]) -> str:
    parts = [f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in counts.items() if n]
    return ", " + ", ".join(parts) if parts else ""


@click.command()
@click.argument(
    "folder", required=False, default=".", type=click.Path(path_type=Path, file_okay=False)
)
@click.option("--name", help="The newsletter's name (default: the folder's name).")
@click.option(
    "--provider",
    help=f"One of {', '.join(known())} (default: {default_provider()}; change it later in "
    "newsletter.toml).",
)
def init(folder: Path, name: str | None, provider: str | None) -> None:
    """Start a newsletter: settings, a first issue and GitHub workflows, in FOLDER.

    Example: mailer init my-newsletter --name "Field Notes" --provider kit
    """
    from mailer.init.repository import install_pin, start_newsletter

    name = name or folder.resolve().name.replace("-", " ").replace("_", " ").title()
    provider = (provider or default_provider()).lower()
    written = start_newsletter(folder, name=name, provider=provider, today=date.today())
    for path in written:
        click.echo(str(path))
    warning = install_pin()[1]
    if warning:
        click.echo(f"Warning: {warning}", err=True)
    issue = next(p for p in written if p.parent.name == "issues")
    click.echo(
        f"\nStarted {name!r} in {folder}. Next:\n"
        f"  cd {folder}\n"
        f"  mailer preview {issue.relative_to(folder)}   # edit it and watch it change\n"
        "  mailer check --strict\n"
        "Then follow README.md there to connect GitHub and your provider.",
        err=True,
    )
