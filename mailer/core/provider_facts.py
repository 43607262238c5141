"""What mailer knows about a provider without talking to it.

Each provider declares itself in ``mailer/providers/<name>.toml`` beside its code: its names, the
environment variables and repository secret that carry its key, the keys of its
``[provider.<name>]`` table, the snippet ``mailer init`` writes into ``newsletter.toml``, and its
template language (merge tags, the unsubscribe tag). Settings, rendering, the gate and ``init``
read these facts; only sending loads a provider's code, so ``mailer build`` imports none of it.
A provider that lives elsewhere (a plug-in, a test) hands its facts to ``declare``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from mailer.core.errors import ConfigError

DECLARATIONS = Path(__file__).parent.parent / "providers"
Kind = Literal["text", "whole number", "whole numbers", "table"]


@dataclass(frozen=True)
class TemplateLanguage:
    """The part of a provider's template language an email needs: what it fills in when it
    sends, so the layout can place its unsubscribe link and the gate can tell a merge tag from
    text that would reach readers raw."""

    display_name: str  # whose language, for messages: "Buttondown"
    unsubscribe_tag: str
    merge_variables: frozenset[str] = frozenset()  # {{ name }}
    merge_tags: frozenset[str] = frozenset()  # *|TAG|*, Mailchimp's kind
    merge_blocks: frozenset[str] = frozenset()  # {% if %}
    dotted_fields: bool = False  # Go templates: {{ .Subscriber.Name }} is a field

    def is_merge_variable(self, expression: str) -> bool:
        """Whether ``{{ expression }}`` is something this provider fills in when it sends."""
        inner = expression.strip().lstrip("-").strip()
        if self.dotted_fields and inner.startswith("."):
            return True
        root = re.split(r"[\s.(|]", inner.lstrip("."), maxsplit=1)[0]
        return root in self.merge_variables


@dataclass(frozen=True)
class Option:
    """One key of ``[provider.<name>]``."""

    key: str
    kind: Kind
    what: str  # what the value is, for the error: "your audience id (Audience → Settings)"
    example: str  # how it is written: '"a1b2c3d4e5"'
    required: bool = False
    choices: tuple[str, ...] = ()

    def problem(self, value: Any) -> str:
        """Why `value` will not do for this key, or ""."""
        if self.kind == "text":
            ok = isinstance(value, str) and value.isprintable() and len(value) <= 500
        elif self.kind == "whole number":
            ok = isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**53
        elif self.kind == "whole numbers":
            ok = isinstance(value, list) and all(
                isinstance(n, int) and not isinstance(n, bool) and 0 < n < 2**53 for n in value
            )
        else:
            ok = isinstance(value, dict)
        if not ok:
            return f"must be {self.what}, like {self.example}, not {value!r}"
        if self.choices and value not in self.choices:
            return f"must be one of {', '.join(map(repr, self.choices))}, not {value!r}"
        return ""


@dataclass(frozen=True)
class ProviderFacts:
    """A provider as ``mailer/providers/<name>.toml`` declares it."""

    name: str  # as written in newsletter.toml: [provider] name = "…"
    display_name: str
    docs: str  # the provider's API documentation, for people
    api_key_env: tuple[str, ...]  # read in this order; the first is the one to set
    base_url_env: str  # an address for tests or a self-hosted server
    base_url_in_config: bool  # whether newsletter.toml may say where the API is
    permissions: str  # what the key must be allowed to do
    options_schema: tuple[Option, ...]
    language: TemplateLanguage
    scaffold: str  # the [provider.<name>] table `mailer init` writes, "" for none
    default: bool = False  # the provider of a newsletter.toml that names none

    @property
    def secret(self) -> str:
        """The repository secret the workflows pass on as the first variable."""
        return self.api_key_env[0].removeprefix("MAILER_")


_declared: dict[str, ProviderFacts] = {}


def declare(facts: ProviderFacts) -> None:
    """Make a provider known by its facts (the built-ins are read from their files)."""
    known()
    _declared[facts.name] = facts


@cache
def _builtin() -> dict[str, ProviderFacts]:
    return {facts.name: facts for facts in map(read_declaration, DECLARATIONS.glob("*.toml"))}


def known() -> dict[str, ProviderFacts]:
    """Every provider mailer can push to, by name, in name order."""
    if not _declared:
        _declared.update(_builtin())
    return dict(sorted(_declared.items()))


def declared(name: str, source: str | None = None) -> ProviderFacts:
    """The facts of the provider called `name`; ConfigError naming the known ones."""
    found = known().get(name)
    if found is None:
        raise ConfigError(f"unknown provider {name!r} (known: {', '.join(known())})", source=source)
    return found


def default_provider() -> str:
    return next(name for name, facts in known().items() if facts.default)


def check_provider_settings(
    provider: str, tables: Mapping[str, Mapping[str, Any]], source: str | None
) -> ProviderFacts:
    """The configured provider's facts, once its name and every ``[provider.<name>]`` table
    check out (kinds and choices; required keys wait for sending: a build needs no audience)."""
    chosen = declared(provider, source)
    stray = sorted(set(tables) - set(known()))
    if stray:
        raise ConfigError(
            f"unknown table [provider.{stray[0]}] (providers: {', '.join(known())})",
            source=source,
        )
    for name, options in tables.items():
        try:
            check_options(known()[name], options, to_send=False)
        except ConfigError as exc:
            raise ConfigError(exc.message, source=source) from None
    return chosen


def check_options(provider: ProviderFacts, options: Mapping[str, Any], *, to_send: bool) -> None:
    """ConfigError naming the key for an unknown key or a value of the wrong kind; with
    `to_send`, also for a required key that is missing or empty."""
    name = provider.name
    schema = {option.key: option for option in provider.options_schema}
    for key, value in options.items():
        if key == "extra":
            if not isinstance(value, dict):
                raise ConfigError(f"provider.{name}.extra must be a table of fields")
            continue
        if key == "base_url" and not provider.base_url_in_config:
            # the key must never follow a URL that a commit to newsletter.toml can change
            raise ConfigError(
                f"provider.{name}.base_url is not read from newsletter.toml: "
                f"{provider.display_name}'s address is its own; to test against another, set "
                f"{provider.base_url_env}"
            )
        option = schema.get(key)
        if option is None:
            known_keys = ", ".join(sorted([*schema, "extra"]))
            raise ConfigError(f"unknown key provider.{name}.{key} (known: {known_keys})")
        problem = option.problem(value)
        if problem:
            raise ConfigError(f"provider.{name}.{key} {problem}")
    if not to_send:
        return
    for option in provider.options_schema:
        # an address may also come from the environment: base_url() says when it is missing
        if option.required and option.key != "base_url" and not options.get(option.key):
            raise ConfigError(
                f"{provider.display_name} needs provider.{name}.{option.key} in "
                f"newsletter.toml: {option.what}, like {option.example}"
            )


def read_declaration(path: Path) -> ProviderFacts:
    """A provider's facts from its TOML file; a malformed one is mailer's own bug, said plainly."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        language = data["language"]
        return ProviderFacts(
            name=data["name"],
            display_name=data["display_name"],
            docs=data["docs"],
            api_key_env=tuple(data["api_key_env"]),
            base_url_env=data["base_url_env"],
            base_url_in_config=data.get("base_url_in_config", False),
            permissions=data["permissions"],
            options_schema=tuple(
                Option(**{**o, "choices": tuple(o.get("choices", ()))})
                for o in data.get("options", [])
            ),
            language=TemplateLanguage(
                display_name=data["display_name"],
                unsubscribe_tag=language["unsubscribe_tag"],
                merge_variables=frozenset(language.get("merge_variables", ())),
                merge_tags=frozenset(language.get("merge_tags", ())),
                merge_blocks=frozenset(language.get("merge_blocks", ())),
                dotted_fields=language.get("dotted_fields", False),
            ),
            scaffold=data.get("scaffold", ""),
            default=data.get("default", False),
        )
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"{path.name}: a provider declaration mailer cannot read ({exc})"
        ) from None
