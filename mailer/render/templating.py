"""The one Jinja2 environment: the newsletter's own ``templates/`` first, then ours.

Undefined names fail loudly (StrictUndefined). HTML and MJML templates autoescape, so front-matter
text can never inject markup; the issue body is never a template (it is spliced in after MJML
compilation), so ``{{ 7*7 }}`` in an issue stays literal and provider merge tags pass through.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from mailer.core.errors import TemplateError
from mailer.core.words import long_date
from mailer.render.wrapping import wrap

BUILTIN = Path(__file__).parent.parent / "templates"


_HEADING = re.compile(r'<(h[2-4]) id="([^"]+)">(.*?)</\1>', re.S)


def _heading_anchors(html: str) -> Markup:
    """Sanitized body HTML, trusted as is, with a "#" link in each heading (web pages only)."""
    return Markup(
        _HEADING.sub(
            lambda m: (
                f'<{m[1]} id="{m[2]}">{m[3]}<a class="anchor" href="#{m[2]}" '
                f'aria-label="Link to this section">#</a></{m[1]}>'
            ),
            html,
        )
    )


def _escapes(name: str | None) -> bool:
    """HTML and MJML templates escape what they print; text and CSS templates do not."""
    return bool(name) and name.endswith((".mjml.j2", ".html.j2"))  # type: ignore[union-attr]


def _wrap_filter(text: str, width: int = 78) -> str:
    return "\n".join(wrap(text, width))


@lru_cache(maxsize=8)
def get_environment(search_path: tuple[Path, ...]) -> jinja2.Environment:
    """The environment for a search path (the newsletter's folders, then the built-in one)."""
    loader = jinja2.FileSystemLoader([*map(str, search_path), str(BUILTIN)])
    env = jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=_escapes,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["wraptext"] = _wrap_filter
    env.filters["heading_anchors"] = _heading_anchors
    env.filters["long_date"] = long_date
    return env


def render_template(search_path: tuple[Path, ...], name: str, **context: Any) -> str:
    """Render one template; errors name the template file and line."""
    env = get_environment(search_path)
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound:
        where = ", ".join(str(p) for p in (*search_path, BUILTIN))
        raise TemplateError(name, f"template not found (looked in {where})") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            exc.filename or name, exc.message or "syntax error", exc.lineno
        ) from None
    try:
        return template.render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            exc.filename or name, exc.message or "syntax error", exc.lineno
        ) from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(template.filename or name, str(exc), _template_line(exc)) from None


def _template_line(exc: BaseException) -> int | None:
    """The template line an exception was raised on, from Jinja's rewritten traceback."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith((".j2", ".mjml", ".html", ".txt", ".css")):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
