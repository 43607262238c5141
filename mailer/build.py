"""``mailer build``'s library half: render many issues, write each one's outputs, keep going."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mailer.config import Settings
from mailer.errors import MailerError, OutputError
from mailer.issue import find_issues, load_issue
from mailer.output import make_dir, write_outputs
from mailer.render import Rendered, render_issue


@dataclass(frozen=True)
class Built:
    """One issue's outcome: its rendering and files, or the error that stopped it."""

    source: Path
    rendered: Rendered | None = None
    files: tuple[Path, ...] = ()
    error: MailerError | None = None


def render_path(path: Path, settings: Settings) -> Rendered:
    """Load and render one issue file."""
    return render_issue(load_issue(path, settings), settings)


def build_issues(paths: list[Path], settings: Settings, out_dir: Path) -> Iterator[Built]:
    """Render and write every issue under `paths`; a bad issue is reported, the rest still built.

    Raises MailerError only for what stops the whole build: no issues, or no output folder.
    """
    sources = find_issues(paths)
    make_dir(out_dir)
    names: dict[str, Path] = {}
    for source in sources:
        first = names.setdefault(source.stem, source)
        if first != source:
            yield Built(source, error=OutputError(
                source, f"has the same name as {first}; both would be written to "
                        f"{out_dir / source.stem}.html"))
            continue
        try:
            rendered = render_path(source, settings)
            files = write_outputs(rendered, settings, out_dir)
        except MailerError as exc:
            yield Built(source, error=exc)
            continue
        yield Built(source, rendered, tuple(files))
