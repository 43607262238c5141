"""The keys of a provider's ``[provider.<name>]`` table, declared by the provider: what each
holds, whether sending needs it, what it may be. Checked when the settings are loaded (kind and
choices: a wrong value fails every command at once, not a sync half-way) and again before a
provider is built for sending (required keys: a `build` needs no Mailchimp audience, a
`sync --dry-run` does)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from mailer.core.errors import ConfigError


@dataclass(frozen=True)
class Option:
    """One key of ``[provider.<name>]``."""

    key: str
    kind: Literal["text", "whole number", "whole numbers", "table"]
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


class Declares(Protocol):
    name: str
    display_name: str
    base_url_env: str
    base_url_in_config: bool
    options_schema: tuple[Option, ...]


def check_options(provider: Declares, options: Mapping[str, Any], *, to_send: bool) -> None:
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
            known = ", ".join(sorted([*schema, "extra"]))
            raise ConfigError(f"unknown key provider.{name}.{key} (known: {known})")
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
