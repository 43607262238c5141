"""``mailer shots``: pictures of each issue's email in several views, and what a change did.

Each issue is rendered as ``build`` renders it and drawn in each view (``pictures.py``: offline,
the same pixels for the same input). With ``compare`` (a Git ref), the same issue files are
also drawn as they are at that ref, from a temporary worktree, with that ref's settings and
templates; each view gets a diff picture and the share of its pixels that changed.
``report.md`` and ``report.json`` list every picture with the email's size against Gmail's
clipping limit and the issue's number of findings.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mailer.checks.process import process
from mailer.core.config import Settings, load_settings
from mailer.core.errors import ConfigError, MailerError
from mailer.core.limits import GMAIL_CLIP_BYTES
from mailer.issue.gitfiles import commit, git
from mailer.issue.load import issue_name
from mailer.pictures.drawing import VIEWS, Camera, browser, difference
from mailer.render.pipeline import Rendered


@dataclass
class Picture:
    view: str
    path: str  # relative to the output folder
    width: int
    height: int
    before: str = ""  # with compare: the picture at the ref ("" when the issue is new there)
    diff: str = ""
    changed: float | None = None  # share of the pixels that changed, 0..1


@dataclass
class IssueShots:
    source: str
    name: str
    subject: str = ""
    html_bytes: int = 0
    findings: int = 0
    placeholders: int = 0  # web images drawn as grey boxes
    pictures: list[Picture] = field(default_factory=list)
    error: str = ""
    at_ref: str = ""  # with compare: "new" when the issue is not at the ref, or its error

    @property
    def clipped(self) -> bool:
        return self.html_bytes > GMAIL_CLIP_BYTES


@dataclass
class ShotsReport:
    issues: list[IssueShots]
    views: list[str]
    compare: str = ""
    seconds: float = 0.0

    @property
    def failed(self) -> list[IssueShots]:
        return [issue for issue in self.issues if issue.error]

    def as_json(self) -> dict[str, Any]:
        return {
            "views": self.views,
            "compare": self.compare or None,
            "seconds": round(self.seconds, 2),
            "gmail_clip_bytes": GMAIL_CLIP_BYTES,
            "issues": [
                {**asdict(issue), "clipped": issue.clipped, "gmail_clip_share": _share(issue)}
                for issue in self.issues
            ],
        }


def _share(issue: IssueShots) -> float:
    return round(issue.html_bytes / GMAIL_CLIP_BYTES, 3)


def parse_views(text: str) -> list[str]:
    """ "desktop,mobile" → the views named, in VIEWS order; ConfigError for an unknown one."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in VIEWS]
    if unknown or not names:
        raise ConfigError(
            f"unknown view {', '.join(unknown) or '(none)'}; views: {', '.join(VIEWS)}"
        )
    return [name for name in VIEWS if name in names]


# -- comparing ----------------------------------------------------------------------------


@contextlib.contextmanager
def worktree(ref: str, near: Path) -> Iterator[tuple[Path, Path]]:
    """A temporary checkout of `ref` of the Git repository holding `near`: (its top folder,
    the repository's top folder). Removed afterwards."""
    top = git(["rev-parse", "--show-toplevel"], near, "--compare").strip()
    full = commit(ref, near, "--compare")
    folder = Path(tempfile.mkdtemp(prefix="mailer-shots-"))
    git(["worktree", "add", "--detach", "--quiet", str(folder / "tree"), full], near, "--compare")
    try:
        yield folder / "tree", Path(top)
    finally:
        with contextlib.suppress(MailerError):
            git(["worktree", "remove", "--force", str(folder / "tree")], near, "--compare")
        shutil.rmtree(folder, ignore_errors=True)


# -- the whole run ------------------------------------------------------------------------


def take_shots(
    sources: list[Path],
    settings: Settings,
    out_dir: Path,
    views: list[str],
    *,
    compare: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ShotsReport:
    """Pictures of every issue in `sources` in each view, written under `out_dir`, with the
    report; with `compare`, the same at that Git ref and the difference."""
    started = time.perf_counter()
    report = ShotsReport([], views, compare)
    out_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        chromium = stack.enter_context(browser())
        camera = Camera(chromium, views, settings)
        old: tuple[Path, Path, Settings] | None = None
        if compare:
            tree, top = stack.enter_context(worktree(compare, (sources or [Path.cwd()])[0].parent))
            old = (tree, top, _settings_at(tree, top, settings))
        for n, source in enumerate(sources):
            report.issues.append(_one(camera, source, settings, out_dir, views, old))
            if progress is not None:
                progress(n + 1, len(sources))
    report.seconds = time.perf_counter() - started
    _write_reports(report, out_dir)
    return report


def _settings_at(tree: Path, top: Path, settings: Settings) -> Settings:
    """The settings as they are at the ref: its newsletter.toml where today's lives."""
    if settings.config_path is None:
        return settings
    relative = os.path.relpath(settings.config_path.resolve(), top)
    then = tree / relative
    return load_settings(then, env={}) if then.is_file() else settings


def _one(
    camera: Camera,
    source: Path,
    settings: Settings,
    out_dir: Path,
    views: list[str],
    old: tuple[Path, Path, Settings] | None,
) -> IssueShots:
    shots = IssueShots(str(source), issue_name(source))
    try:
        rendered = process(source, settings)
    except MailerError as exc:
        shots.error = str(exc)
        return shots
    shots.subject = rendered.subject
    shots.html_bytes = len(rendered.html.encode("utf-8"))
    shots.findings = len(rendered.findings)
    before: Rendered | None = None
    old_settings = settings
    if old is not None:
        tree, top, old_settings = old
        then = tree / os.path.relpath(source.resolve(), top)
        if not then.is_file():
            shots.at_ref = "new"
        else:
            try:
                before = process(then, old_settings)
            except MailerError as exc:
                shots.at_ref = f"did not render: {exc}"
    folder = out_dir / issue_name(source)
    for view in views:
        path = folder / f"{view}.png"
        shots.placeholders, width, height = camera.shoot(rendered, settings, view, path)
        picture = Picture(view, str(path.relative_to(out_dir)), width, height)
        if old is not None:
            picture.changed = 1.0
            if before is not None:
                old_path = folder / f"{view}.before.png"
                camera.shoot(before, old_settings, view, old_path)
                diff_path = folder / f"{view}.diff.png"
                picture.changed = difference(old_path, path, diff_path)
                picture.before = str(old_path.relative_to(out_dir))
                picture.diff = str(diff_path.relative_to(out_dir))
        shots.pictures.append(picture)
    return shots


def _write_reports(report: ShotsReport, out_dir: Path) -> None:
    from mailer.core.atomic import write_atomic

    write_atomic(
        out_dir / "report.json", (json.dumps(report.as_json(), indent=2) + "\n").encode(), 0o644
    )
    write_atomic(out_dir / "report.md", markdown(report).encode(), 0o644)


def markdown(report: ShotsReport) -> str:
    """The report as Markdown, for a pull request's job summary."""
    lines = ["## Pictures of the email", ""]
    if report.compare:
        lines.append(f"Compared with `{report.compare}`: the share of each picture that changed.")
        lines.append("")
    head = ["issue", "size (of Gmail's 102 KB)", "findings", *report.views]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for issue in report.issues:
        if issue.error:
            lines.append(f"| `{issue.name}` | did not render: {_cell(issue.error)} |")
            continue
        size = f"{issue.html_bytes / 1024:.1f} KB ({_share(issue):.0%})"
        if issue.clipped:
            size += " **clipped**"
        cells = [f"`{issue.name}` {_cell(issue.subject)}", size, str(issue.findings)]
        for picture in issue.pictures:
            if picture.changed is None:
                cells.append(f"{picture.width}×{picture.height}")
            elif issue.at_ref:
                cells.append("new" if issue.at_ref == "new" else "—")
            else:
                cells.append(f"{picture.changed:.1%} changed" if picture.changed else "same")
        lines.append("| " + " | ".join(cells) + " |")
    boxes = sum(issue.placeholders for issue in report.issues)
    lines += [
        "",
        f"Web images drawn as grey boxes of their declared size: {boxes}. Nothing is fetched, "
        "so the same input gives the same pixels.",
        "",
    ]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")[:200]
