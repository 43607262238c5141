"""The house plan, kept: layers that import only downwards, no import cycles, one exception
tree, small modules. Read from the source (every import counts, inside functions and under
TYPE_CHECKING too)."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import mailer
from mailer.core.errors import MailerError

PACKAGE = Path(mailer.__file__).parent

# Bottom to top. A module imports from its own layer or below, never above.
LAYERS: list[set[str]] = [
    # leaves: each owns one idea and imports no other mailer module but the package's version
    {
        "mailer",
        "mailer.core.secrets",
        "mailer.core.limits",
        "mailer.issue.rawhtml",
        "mailer.render.wrapping",
        "mailer.core.urls",
        "mailer.core.finding",
        "mailer.render.inline",
        "mailer.core.atomic",
        "mailer.render.images",
        "mailer.render.emulation",
        "mailer.issue.media",
        "mailer.render.anchors",
        "mailer.core.words",
        "mailer.core.settings_rules",
        "mailer.core",
    },
    {"mailer.core.errors"},
    {"mailer.core.addresses", "mailer.core.config", "mailer.core.gatepolicy"},
    {"mailer.smtp.settings"},
    # an issue file, and the template environment
    {
        "mailer.issue.header",
        "mailer.issue.load",
        "mailer.render.templating",
        "mailer.render.mjml",
        "mailer.issue.gitfiles",
    },
    # the render stages
    {
        "mailer.issue.sanitize",
        "mailer.issue.markdown",
        "mailer.render.htmlwriter",
        "mailer.render.textpage",
        "mailer.render.plaintext_html",
        "mailer.render.plaintext",
        "mailer.render.fingerprint",
        "mailer.render.campaign",
        "mailer.issue",
        "mailer.render",
    },
    # the providers: who they are, their templates' words, their requests
    {
        "mailer.providers.http",
        "mailer.providers.options",
        "mailer.providers.base",
        "mailer.providers.buttondown",
        "mailer.providers.kit",
        "mailer.providers.listmonk",
        "mailer.providers.mailchimp",
        "mailer.providers",
    },
    {"mailer.render.layout", "mailer.render.layout_shapes"},
    {"mailer.render.pipeline"},
    # the gate
    {
        "mailer.checks.runner",
        "mailer.checks.inventory",
        "mailer.checks.content",
        "mailer.checks.email",
        "mailer.checks.links",
        "mailer.checks.meta",
        "mailer.checks.mistakes",
        "mailer.checks",
    },
    {"mailer.build.message", "mailer.build.output", "mailer.core.github", "mailer.issue.batch"},
    # what the commands do, as a library
    {
        "mailer.checks.report",
        "mailer.checks.issues",
        "mailer.build.cache",
        "mailer.build.gatecache",
        "mailer.linkcheck.cache",
        "mailer.linkcheck.probe",
        "mailer.linkcheck",
        "mailer.build.issues",
        "mailer.site.archive",
        "mailer.preview.pages",
        "mailer.preview.server",
        "mailer.smtp.send",
        "mailer.init.new_issue",
        "mailer.init.repository",
        "mailer.sync.plan",
        "mailer.sync.apply",
        "mailer.sync.run",
        "mailer.sync.report",
        "mailer.sync",
        "mailer.pictures.drawing",
        "mailer.pictures.shots",
        "mailer.build",
        "mailer.site",
        "mailer.preview",
        "mailer.pictures",
        "mailer.smtp",
        "mailer.init",
    },
    {
        "mailer.commands.state",
        "mailer.commands.writing",
        "mailer.commands.sending",
        "mailer.commands.review",
    },
    {"mailer.commands"},
    {"mailer.cli", "mailer.__main__"},
]


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports() -> dict[str, set[str]]:
    mods = modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module in mods:
                    found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
        graph[name] = {m for m in found if m in mods and m != name}
    return graph


def test_every_module_has_a_layer():
    placed = set().union(*LAYERS)
    assert set(modules()) == placed, set(modules()) ^ placed


def test_imports_only_go_down():
    layer = {name: n for n, names in enumerate(LAYERS) for name in names}
    upward = [
        f"{name} imports {target}"
        for name, targets in imports().items()
        for target in targets
        if layer[target] > layer[name]
    ]
    assert upward == []


def test_no_import_cycles():
    graph = imports()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    assert cycles == []


def test_every_exception_is_a_mailer_error():
    strays = []
    for info in pkgutil.walk_packages(mailer.__path__, "mailer."):
        if info.name in ("mailer.__main__",):
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            mine = cls.__module__ == module.__name__
            if mine and issubclass(cls, BaseException) and not issubclass(cls, MailerError):
                strays.append(f"{module.__name__}.{cls.__name__}")
    assert strays == []


def test_modules_are_small():
    long = {
        name: lines
        for name, path in modules().items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}
