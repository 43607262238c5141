"""The house plan, kept: the package map of docs/architecture.md (what each package may import),
no import cycle between modules, no import the map cannot see (relative or dynamic), one
exception tree that the library raises from, small modules, and providers named only in their
own folder. Read from the source: every import counts, inside functions and under
TYPE_CHECKING too."""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import mailer
from conftest import ROOT
from mailer.core.errors import MailerError
from mailer.core.provider_facts import known

PACKAGE = Path(mailer.__file__).parent
MAP = ROOT / "docs" / "architecture.md"
BUILTIN_ERRORS = {
    name
    for name in dir(builtins)
    if isinstance(getattr(builtins, name), type)
    and issubclass(getattr(builtins, name), BaseException)
}
# Built-in exceptions the library may raise, each for a reason of its own:
ALLOWED_RAISES = {
    ("mailer/__init__.py", "AttributeError"),  # a module's __getattr__ must say it this way
    ("mailer/issue/markdown.py", "NotImplementedError"),  # hooks a walker must override
    # a path that leads outside its folder is refused as the OS refuses one: callers already
    # handle OSError for every file they touch, so it needs no second branch
    ("mailer/core/atomic.py", "OSError"),
}


def package_map() -> dict[str, set[str]]:
    """package → the packages it may import, from the table in docs/architecture.md."""
    rows = re.findall(r"^\| `(\w+)` \| .*? \| (.*?) \|$", MAP.read_text(encoding="utf-8"), re.M)
    return {name: set(re.findall(r"`(\w+)`", allowed)) for name, allowed in rows}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def trees() -> dict[str, ast.Module]:
    return {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in modules().items()}


def imports() -> dict[str, set[str]]:
    """module → the mailer modules it imports (``from a import b`` counts a.b when b is one)."""
    mods = modules()
    graph: dict[str, set[str]] = {}
    for name, tree in trees().items():
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
        graph[name] = {m for m in found if m in mods and m != name}
    graph["mailer"] |= set(_front_door().values())
    return graph


def _front_door() -> dict[str, str]:
    """The root package's lazy exports (name → module), read from its ``_EXPORTS`` literal."""
    tree = trees()["mailer"]
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "_EXPORTS":
            return ast.literal_eval(node.value)  # type: ignore[no-any-return]
    return {}


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "mailer"


def test_the_map_names_every_package():
    packages = {package_of(m) for m in modules()} - {"mailer", "__main__"}
    assert set(package_map()) == packages


def test_packages_import_only_what_the_map_allows():
    allowed = package_map()
    strays = sorted(
        f"{name} imports {target}"
        for name, targets in imports().items()
        if name not in ("mailer", "mailer.__main__")  # the front door and `python -m mailer`
        for target in targets
        if (package_of(target) != package_of(name))
        and target != "mailer"  # the version, which every package may read
        and package_of(target) not in allowed[package_of(name)]
    )
    assert strays == []


def test_rendering_and_the_gate_import_no_provider_code():
    for name, targets in imports().items():
        if package_of(name) in ("core", "issue", "render", "checks", "build", "site", "preview"):
            assert not {t for t in targets if package_of(t) == "providers"}, name


def test_the_front_door_exports_what_it_names():
    for name, module in _front_door().items():
        assert hasattr(importlib.import_module(module), name)


def unseen_imports(name: str, tree: ast.Module) -> list[str]:
    """Imports the map cannot see: relative ones, and ones built from a string at run time
    (only the front door's literal table, read above, may)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            found.append(f"{name}:{node.lineno} relative import")
        if isinstance(node, ast.Call):
            func = ast.unparse(node.func)
            dynamic = func in ("__import__", "importlib.import_module", "import_module")
            front_door = name == "mailer" and func == "importlib.import_module"
            if dynamic and not front_door:
                found.append(f"{name}:{node.lineno} {func}()")
    return found


def test_no_relative_or_dynamic_imports():
    assert [line for name, tree in trees().items() for line in unseen_imports(name, tree)] == []


def test_unseen_imports_are_caught():
    """The check above, on a module that hides a relative cycle and a dynamic import."""
    source = "from . import b\nfrom .c import d\nimport importlib\nimportlib.import_module('x')\n"
    found = unseen_imports("mailer.demo", ast.parse(source))
    assert found == [
        "mailer.demo:1 relative import",
        "mailer.demo:2 relative import",
        "mailer.demo:4 importlib.import_module()",
    ]


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

    # the front door imports what it exports lazily and everyone reads its version: not a cycle
    graph = {k: (v if k != "mailer" else set()) for k, v in graph.items()}
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


def test_no_exception_class_hides_in_a_function():
    """A class made inside a function escapes the check above: none may be an exception."""
    found = []
    for name, tree in trees().items():
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.ClassDef) and any(
                    re.search(r"(Error|Exception|Warning)$", ast.unparse(b)) for b in node.bases
                ):
                    found.append(f"{name}:{node.lineno} {node.name}")
    assert found == []


def _caught_here(path: list[ast.AST], error: str) -> bool:
    """Whether a try around the raise (in the same function) handles `error`."""
    for node in reversed(path):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return False
        if isinstance(node, ast.Try):
            for handler in node.handlers:
                if handler.type is not None and error in ast.unparse(handler.type):
                    return True
    return False


def test_the_library_raises_no_builtin_exception():
    """Users see MailerErrors (a message, a file, a line), never a built-in exception: one
    raised and caught within the same function is control flow, and the few above have their
    reasons."""
    found: list[str] = []
    for path in modules().values():
        relative = path.relative_to(PACKAGE.parent).as_posix()
        _builtin_raises(ast.parse(path.read_text(encoding="utf-8")), [], relative, found)
    assert found == []


def _builtin_raises(node: ast.AST, trail: list[ast.AST], relative: str, found: list[str]) -> None:
    if isinstance(node, ast.Raise) and node.exc is not None:
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        error = ast.unparse(exc)
        if (
            error in BUILTIN_ERRORS
            and (relative, error) not in ALLOWED_RAISES
            and not _caught_here(trail, error)
        ):
            found.append(f"{relative}:{node.lineno} raises {error}")
    for child in ast.iter_child_nodes(node):
        _builtin_raises(child, [*trail, node], relative, found)


def test_modules_are_small():
    long = {
        name: lines
        for name, path in modules().items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}


def test_few_modules_sit_at_the_top():
    top = [p.name for p in PACKAGE.glob("*.py")]
    assert len(top) <= 12, top


def test_providers_are_named_only_in_their_folder():
    """A provider is its folder's business: elsewhere its name comes from the registry. Code
    strings only (docstrings and comments may speak of a provider)."""
    names = set(known())
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b", re.I)
    found = []
    for name, tree in trees().items():
        if package_of(name) == "providers":
            continue
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and pattern.search(node.value)
            ):
                found.append(f"{name}:{node.lineno} {node.value[:60]!r}")
    assert found == []
