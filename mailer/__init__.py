"""mailer: newsletter as code — Markdown issues in Git, rendered to email, pushed to a provider.

The library's front door, for scripts that do not go through the CLI::

    from mailer import load_settings, load_issue, render_issue
    settings = load_settings()
    rendered = render_issue(load_issue(Path("issues/2026-11-27-hiring.md"), settings), settings)

They are imported on first use, so ``import mailer`` (and ``mailer --help``) stays fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"  # the only place: pyproject.toml reads it from here
__all__ = ["__version__", "get_provider", "load_issue", "load_settings", "render_issue"]

_EXPORTS = {
    "load_settings": "mailer.core.config",
    "load_issue": "mailer.issue.load",
    "render_issue": "mailer.render.pipeline",
    "get_provider": "mailer.providers",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'mailer' has no attribute {name!r}")
