"""Commands for whoever reviews an issue: ``mailer shots``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from mailer.commands.state import State, progress_line


def _views(_ctx: click.Context, _param: click.Parameter, value: str) -> list[str]:
    from mailer.core.errors import ConfigError
    from mailer.pictures.shots import parse_views

    try:
        return parse_views(value)
    except ConfigError as exc:
        raise click.BadParameter(exc.message) from None


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the pictures and the report (default: shots/ beside newsletter.toml).",
)
@click.option(
    "--views",
    default="desktop,mobile,dark,gmail-app,outlook-desktop",
    show_default=True,
    callback=_views,
    help="Which views, comma-separated.",
)
@click.option(
    "--compare",
    metavar="REF",
    help="Also draw each issue as it is at this Git ref (a branch, a tag, a commit), "
    "with a diff picture and the share of pixels that changed.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.pass_obj
def shots(
    state: State,
    paths: tuple[Path, ...],
    out_dir: Path | None,
    views: list[str],
    compare: str | None,
    fmt: str,
) -> None:
    """Pictures of each issue's email: desktop, mobile, dark, Gmail app and Outlook desktop.

    PATHS are issue files or folders (default: issues/). Drawn by headless Chromium (install
    the extra: pip install 'newsletter-as-code[shots]'), offline: web images become grey boxes
    of their declared size, so the same input gives the same pixels. Writes OUTPUT/<issue>/
    <view>.png and OUTPUT/report.md, report.json (sizes against Gmail's clipping, findings).

    Example: mailer shots issues/2026-11-27-hiring.md --compare main -o shots
    """
    from mailer.core.github import write_summary
    from mailer.issue import batch
    from mailer.pictures.shots import markdown, take_shots

    settings = state.settings()
    out_dir = out_dir or state.folder("shots")
    sources, repeated = batch.sources(state.issues(paths))
    for outcome in repeated:
        click.echo(f"Error: {outcome.error}", err=True)
    report = take_shots(
        sources,
        settings,
        out_dir,
        views,
        compare=compare or "",
        progress=progress_line("issues"),
    )
    if fmt == "json":
        click.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    for issue in report.issues:
        if issue.error:
            click.echo(f"Error: {issue.error}", err=True)
        elif fmt == "text":
            changed = [f"{p.view} {p.changed:.1%}" for p in issue.pictures if p.changed is not None]
            said = f"; changed: {', '.join(changed)}" if changed and not issue.at_ref else ""
            said += " (new: not at the ref)" if issue.at_ref == "new" else ""
            click.echo(
                f"{issue.name}: {len(issue.pictures)} pictures in {out_dir / issue.name}{said}"
            )
    if fmt == "text":
        boxes = sum(issue.placeholders for issue in report.issues)
        click.echo(
            f"{len(report.issues) - len(report.failed)} issues, {len(views)} views, "
            f"{report.seconds:.1f}s; web images drawn as grey boxes: {boxes}; "
            f"report: {out_dir / 'report.md'}"
        )
    write_summary(markdown(report))
    if report.failed or repeated:
        sys.exit(1)
