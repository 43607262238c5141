"""``mailer init``: a new newsletter's repository, ready to write, check and send from.

The files come from ``mailer/init/scaffolding/`` with a few words filled in: the newsletter's name,
its provider, the first issue's date, the GitHub Actions pinned to commits, and a
``requirements.txt`` pinning this mailer and every library it runs on, so each scheduled run
renders the same bytes as the editor's machine did.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path

from mailer import __version__
from mailer.core.atomic import inside
from mailer.core.errors import ConfigError, OutputError
from mailer.core.provider_facts import known

DISTRIBUTION = "newsletter-as-code"
SOURCE_RAW = "https://raw.githubusercontent.com/mailer-newsletter/newsletter-as-code"

# Actions pinned to a full commit (a tag can be moved; a commit cannot); Dependabot, set up by
# the scaffolded dependabot.yml, proposes newer ones. Checked against each action's release.
ACTIONS = {
    "CHECKOUT": ("actions/checkout", "3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "SETUP_PYTHON": ("actions/setup-python", "5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "UPLOAD_ARTIFACT": (
        "actions/upload-artifact",
        "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f",
        "v7.0.0",
    ),
    "CACHE": ("actions/cache", "27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
    "UPLOAD_PAGES_ARTIFACT": (
        "actions/upload-pages-artifact",
        "fc324d3547104276b827a68afc52ff2a11cc49c9",
        "v5.0.0",
    ),
    "DEPLOY_PAGES": ("actions/deploy-pages", "cd2ce8fcbc39b97be8ca5fce6e763baed58fa128", "v5.0.0"),
}

# renamed on the way out: a dotted name in a package is easy to lose from a wheel
RENAMED = {"gitignore": ".gitignore", "github": ".github"}
MAX_NAME = 80
PLACEHOLDER = re.compile(r"@([A-Z_]+)@")


def start_newsletter(
    folder: Path, *, name: str, provider: str, today: date, version: str | None = None
) -> list[Path]:
    """Write a new newsletter's files into `folder` and return their paths.

    Refuses, before writing anything, when any of the files already exists; if writing fails
    part-way, the files written so far are removed again.
    """
    name = _checked_name(name)
    if provider not in known():
        raise ConfigError(f"unknown provider {provider!r}; choose one of: {', '.join(known())}")
    first_date = today + timedelta(days=7)
    slug = f"{first_date.isoformat()}-welcome"
    files = {
        _target(folder, relative, slug): _fill(text, name, provider, first_date, slug)
        for relative, text in _scaffolding()
    }
    files[folder / "requirements.txt"] = requirements(version)
    files[folder / "requirements-shots.txt"] = shots_requirements()
    taken = sorted(str(p) for p in files if p.exists() or p.is_symlink())
    if taken:
        shown = ", ".join(taken[:3]) + (f" and {len(taken) - 3} more" if len(taken) > 3 else "")
        raise OutputError(
            folder, f"already holds {shown}; nothing was written (choose a new folder)"
        )
    written: list[Path] = []
    try:
        for path in files:  # DIR/.github as a link to elsewhere: refused before anything
            inside(folder, path)
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8", newline="\n") as fh:
                written.append(path)
                fh.write(text)
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        raise OutputError(
            exc.filename or folder, f"cannot write ({exc.strerror or exc}); nothing was kept"
        ) from None
    return sorted(files)


def requirements(version: str | None = None) -> str:
    """Exact pins: this mailer (a release `version`, else as it was installed here), and every
    installed library it depends on, transitively."""
    mailer = f"{DISTRIBUTION}=={version}" if version else install_pin()[0]
    lines = [
        "# mailer and everything it runs on, pinned: each run renders the same bytes.",
        "# Dependabot proposes updates; the Check workflow shows what they change.",
        mailer,
    ]
    lines += [f"{dist}=={found}" for dist, found in sorted(_dependencies(DISTRIBUTION))]
    return "\n".join(lines) + "\n"


def install_pin(
    direct_url: str | bool | None = False, version: str = __version__
) -> tuple[str, str]:
    """How this mailer was installed, as a requirements line a fresh machine (a GitHub runner)
    can install from, and a warning when there is none. Read from the installer's own record
    (PEP 610's direct_url.json): none is a release from an index (``==version``); a Git
    checkout at a commit is ``name @ git+URL@commit`` (from a repository only this machine has,
    with a comment and a warning: a runner cannot reach it); a local folder, a wheel or a sdist
    file cannot be installed elsewhere: the line is a comment that says what to put there, and
    the warning says so."""
    if direct_url is False:
        try:
            direct_url = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
        except metadata.PackageNotFoundError:
            direct_url = None
    if not direct_url:
        return f"{DISTRIBUTION}=={version}", ""
    try:
        record = json.loads(str(direct_url))
        url = str(record["url"])
    except (ValueError, KeyError, TypeError):
        return f"{DISTRIBUTION}=={version}", ""
    vcs = record.get("vcs_info") or {}
    if vcs.get("vcs") == "git" and vcs.get("commit_id"):
        if not url.startswith("file:"):
            return f"{DISTRIBUTION} @ git+{url}@{vcs['commit_id']}", ""
        # pip before 24 refuses "name @ git+file:///…" (no host); this older form every pip reads
        pin = f"git+{url}@{vcs['commit_id']}#egg={DISTRIBUTION}"
        # the commit, as installed: this machine (a second environment) installs it; a runner
        # cannot reach the folder, which the comment and the warning say, with what to use
        line = (
            f"# {DISTRIBUTION} was installed from a Git repository on this machine: GitHub's "
            f"runners cannot reach {url}; before you push, point this line at the same commit "
            f"of a repository they can (git+https://github.com/OWNER/REPO@{vcs['commit_id']}) "
            f"or at a release ({DISTRIBUTION}=={version})\n{pin}"
        )
        warning = (
            "requirements.txt pins mailer from a Git repository on this machine, which GitHub "
            "cannot reach: its first line says what to put there before you push"
        )
        return line, warning
    line = (
        f"# {DISTRIBUTION}: this mailer was installed from a local folder or file ({url}), "
        f"which a GitHub runner cannot reach. Put one of these here: {DISTRIBUTION}=={version} "
        f"(a release), or {DISTRIBUTION} @ git+https://github.com/OWNER/REPO@<full commit>"
    )
    warning = (
        "requirements.txt: mailer was installed from a local folder or file, which GitHub "
        "cannot install; its first line says what to put there before you push"
    )
    return line, warning


# what `mailer shots` draws with, for the pull-request pictures; pinned like the rest (these
# versions when this mailer was not installed with its shots extra)
SHOTS_LIBRARIES = {"playwright": "1.65.2", "pillow": "13.0.0"}


def shots_requirements() -> str:
    """Pins of the libraries of the shots extra: the installed ones where they are."""
    lines = ["# what `mailer shots` draws the pictures of a pull request with (Check workflow)"]
    for dist, fallback in SHOTS_LIBRARIES.items():
        try:
            found = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found = fallback
        lines.append(f"{dist}=={found}")
    return "\n".join(lines) + "\n"


def _dependencies(root: str) -> set[tuple[str, str]]:
    """(name, version) of the installed runtime dependencies of `root`, without extras."""
    seen: dict[str, str] = {}
    todo = [root]
    while todo:
        try:
            requires = metadata.requires(todo.pop()) or []
        except metadata.PackageNotFoundError:
            continue
        for requirement in requires:
            if "extra ==" in requirement.replace('"', "").replace("'", ""):
                continue
            match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
            if not match:
                continue
            key = re.sub(r"[-_.]+", "-", match[0]).lower()
            if key in seen or key == root:
                continue
            try:
                seen[key] = metadata.version(key)
            except metadata.PackageNotFoundError:
                continue  # a dependency for another platform (say, colorama on Windows)
            todo.append(key)
    return set(seen.items())


def _checked_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ConfigError("the newsletter needs a name (--name)")
    if len(name) > MAX_NAME or any(not ch.isprintable() for ch in name):
        raise ConfigError(f"the name must be one line of at most {MAX_NAME} printable characters")
    return name


def _scaffolding() -> Iterator[tuple[str, str]]:
    def walk(node: Traversable, prefix: str) -> Iterator[tuple[str, str]]:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            relative = f"{prefix}{child.name}"
            if child.is_dir():
                if child.name != "__pycache__":
                    yield from walk(child, relative + "/")
            elif not child.name.endswith((".py", ".pyc")):
                yield relative, child.read_text(encoding="utf-8")

    yield from walk(resources.files("mailer.init") / "scaffolding", "")


def _target(folder: Path, relative: str, slug: str) -> Path:
    parts = relative.split("/")
    parts[0] = RENAMED.get(parts[0], parts[0])
    if parts == ["issues", "first-issue.md"]:
        parts[1] = f"{slug}.md"
    return folder.joinpath(*parts)


def schema_url(name: str, version: str = __version__) -> str:
    """Where an editor's tools find the JSON Schema shipped with this version of mailer
    (mailer/data/): the file at the release's tag in mailer's repository."""
    return f"{SOURCE_RAW}/v{version}/mailer/data/{name}"


def _fill(text: str, name: str, provider: str, first_date: date, slug: str) -> str:
    declared = known()[provider]
    # the variable mailer reads first, from the repository secret of the same name without
    # MAILER_ (the others are fallbacks for keys already set up elsewhere): each named once
    secrets = [(declared.api_key_env[0], declared.secret)]
    words = {
        "NAME": name,
        "NAME_QUOTED": name.replace("\\", "\\\\").replace('"', '\\"'),  # TOML and YAML alike
        "PROVIDER": provider,
        "PROVIDERS": " or ".join(", ".join(known()).rsplit(", ", 1)),
        "PROVIDER_TABLE": f"\n{declared.scaffold}" if declared.scaffold else "",
        "PROVIDER_ENV": "\n".join(
            f"          {env}: ${{{{ secrets.{secret} }}}}" for env, secret in secrets
        ),
        "SECRETS_LIST": " and ".join(f"`{secret}`" for _, secret in secrets),
        "DATE": first_date.isoformat(),
        "SLUG": slug,
        "SCHEMA_URL": schema_url("newsletter.schema.json"),
    }
    words.update(
        {f"USES_{key}": f"{repo}@{sha} # {tag}" for key, (repo, sha, tag) in ACTIONS.items()}
    )
    # one pass: a name that happens to contain "@DATE@" stays as written
    return PLACEHOLDER.sub(lambda m: words[m[1]], text)
