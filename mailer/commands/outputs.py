"""Commands that write files from the issues: build (the emails) and archive (the web site).

Both print a line per issue and a summary, or with ``--format json`` one JSON document on stdout
(errors still go to stderr, so a script reads stdout whole)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from mailer.commands.state import State, progress_line
from mailer.commands.writing import findings_note

FC = TypeVar("FC", bound=Callable[..., Any])
PATHS = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))


def output_folder(default: str, what: str) -> Callable[[FC], FC]:
    """The -o/--output option: the folder `what` goes to (`default` beside newsletter.toml)."""
    return click.option(
        "-o",
        "--output",
        "out_dir",
        type=click.Path(path_type=Path, file_okay=False),
        help=f"Folder to write {what} to (default: {default}/ beside newsletter.toml).",
    )


FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one document on stdout, for scripts.",
)


@click.command()
@PATHS
@output_folder("build", "the outputs")
@click.option(
    "--fresh",
    is_flag=True,
    help="Render every issue again, even those whose outputs are up to date.",
)
@FORMAT
@click.pass_obj
def build(
    state: State, paths: tuple[Path, ...], out_dir: Path | None, fresh: bool, fmt: str
) -> None:
    """Render issues to OUTPUT/<name>.html, .txt, .json and .eml.

    PATHS are issue files or folders (default: issues/). A bad issue is reported and the others
    are still built; the exit code is 1 if any failed. An issue whose inputs did not change
    since the last build is not rendered again (.mailer/build/ remembers; safe to delete).

    Example: mailer build issues/2024-05-03-spring.md -o /tmp/preview
    """
    from mailer.build.issues import build_issues
    from mailer.core.finding import count
    from mailer.core.github import table, write_summary
    from mailer.core.limits import GMAIL_CLIP_BYTES
    from mailer.issue.load import issue_name

    settings = state.settings()
    out_dir = out_dir or state.folder("build")
    started = time.perf_counter()
    built = failed = 0
    warnings = errors = 0
    rows: list[tuple[object, ...]] = []
    document: dict[str, Any] = {"built": [], "failed": []}
    text = fmt == "text"
    # annotations are `mailer check`'s job: a finding annotated by both would show twice
    for result in build_issues(state.issues(paths), settings, out_dir, fresh=fresh):
        if result.error is not None:
            failed += 1
            click.echo(f"Error: {result.error}", err=True)
            rows.append((f"`{result.source}`", "", "", f"**failed**: {result.error}"))
            document["failed"].append({"source": str(result.source), "error": str(result.error)})
            continue
        built += 1
        counts = count(result.findings)
        warnings += counts["warning"]
        errors += counts["error"]
        note = findings_note(counts)
        clip = "over" if result.html_bytes > GMAIL_CLIP_BYTES else "under"
        rows.append(
            (
                f"`{result.source}`",
                result.subject,
                f"{result.html_bytes / 1024:.1f} KB ({clip} 102 KB)",
                findings_note(counts).lstrip(", ") or "none",
            )
        )
        document["built"].append(
            {
                "source": str(result.source),
                "outputs": [str(path) for path in result.files],
                "subject": result.subject,
                "html_bytes": result.html_bytes,
                "findings": [f.as_dict() for f in result.findings],
            }
        )
        if text:
            click.echo(
                f"built {result.source} → {out_dir / issue_name(result.source)}.html "
                f"({result.html_bytes / 1024:.0f} KB{note})"
            )
    took = time.perf_counter() - started
    summary = f"{built} built, {failed} failed in {took:.2f}s"
    if errors or warnings:
        found = findings_note({"error": errors, "warning": warnings}).lstrip(", ")
        summary += f" ({found}; see `mailer check`)"
    if text:
        click.echo(summary)
    else:
        document["seconds"] = round(took, 3)
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    write_summary(
        f"### mailer build: {summary}\n\n"
        + table(["issue", "subject", "HTML size", "findings"], rows)
    )
    if failed:
        sys.exit(1)


@click.command()
@PATHS
@output_folder("site", "the site")
@FORMAT
@click.pass_obj
def archive(state: State, paths: tuple[Path, ...], out_dir: Path | None, fmt: str) -> None:
    """Build the public web archive: an index, a page per issue, an Atom feed and a sitemap.

    Drafts and issues not sent yet are left out. Each issue's page lives where the email's
    "view in browser" link points (newsletter.url + archive_path), with the repository's
    pictures and files it refers to copied beside it.

    Example: mailer archive issues -o site
    """
    from mailer.site.archive import build_archive

    settings = state.settings()
    out_dir = out_dir or state.folder("site")
    result = build_archive(state.issues(paths), settings, out_dir, progress=progress_line("pages"))
    for error in result.failed:
        click.echo(f"Error: {error}", err=True)
    if not settings.url:
        click.echo("no sitemap.xml: it needs full addresses; set newsletter.url", err=True)
    if fmt == "json":
        document = {
            "pages": [
                {"source": str(p.source), "path": p.path, "title": p.title} for p in result.pages
            ],
            "left_out": [{"source": str(s), "why": why} for s, why in result.skipped],
            "failed": [str(error) for error in result.failed],
            "files": result.files,
            "assets": result.assets,
            "seconds": round(result.seconds, 3),
        }
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        for source, why in result.skipped:
            click.echo(f"left out {source}: {why}")
        pages = len(result.pages)
        click.echo(
            f"{pages} issue{'' if pages == 1 else 's'} in {out_dir} ({result.files} files"
            + (f", {result.assets} pictures and files beside them" if result.assets else "")
            + f", {result.seconds:.2f}s)"
            + (f"; {len(result.failed)} failed" if result.failed else "")
        )
        if not pages and result.next_due is not None:
            when, subject = result.next_due
            click.echo(
                f"nothing sent yet: the first issue, {subject!r}, goes out "
                f"{when.astimezone(settings.zone):%Y-%m-%d %H:%M %Z} and joins the archive then"
            )
    if result.failed:
        sys.exit(1)
