"""Settings: ``newsletter.toml`` plus the environment, validated once into a frozen value.

Precedence, highest first: command-line flag → environment variable → ``newsletter.toml`` →
built-in default. This module reads the file and the variables every command shares
(``MAILER_CONFIG``, ``MAILER_PROVIDER``, ``MAILER_HTTP_TIMEOUT``), and gives ``read_env`` and
``read_secret`` to the few modules that read a variable of their own (a provider's key and
address, SMTP, GitHub Actions). Secrets (API keys, passwords) are never read from the file.

Every value is checked here, before any command does anything: types, ranges, the placeholders
of ``archive_path`` (``settings_rules``), the provider and its ``[provider.<name>]`` tables
against what it declares (``provider_facts``). The keys, with their defaults and meanings: the
docs/configuration.md, which a test keeps in step with ``_KNOWN``.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from email.utils import quote
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mailer.core.addresses import mailbox
from mailer.core.errors import ConfigError
from mailer.core.gatepolicy import Policy, policy_from
from mailer.core.provider_facts import (
    TemplateLanguage,
    check_provider_settings,
    declared,
    default_provider,
)
from mailer.core.secrets import register as register_secret
from mailer.core.settings_rules import (
    WHOLE_RANGES,
    address_ok,
    archive_path_problem,
    smtp_value_problem,
    timeout_ok,
    timeout_problem,
    utm_table,
)
from mailer.core.urls import is_site_address
from mailer.core.words import primary

CONFIG_NAME = "newsletter.toml"
PLACEHOLDER_ADDRESS = "newsletter@example.com"  # until newsletter.from says otherwise

RTL_LANGUAGES = {"ar", "dv", "fa", "he", "ku", "ps", "sd", "ug", "ur", "yi"}


def direction_of(language: str) -> str:
    """The writing direction of a language tag: "rtl" for Arabic, Hebrew, Persian, ..."""
    return "rtl" if primary(language) in RTL_LANGUAGES else "ltr"


HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?$")

_KNOWN = {
    "newsletter": {
        "name",
        "url",
        "language",
        "timezone",
        "send_time",
        "from",
        "archive_path",
        "feed_items",
        "address",
        "commercial",
        "subscribe_url",
        "utm",
    },
    "theme": {"accent", "width", "logo", "logo_alt", "logo_width", "subtitle"},
    "provider": {"name", "auto_schedule", "grace_minutes", "timeout"},
    "smtp": {"host", "port", "security", "username", "to"},
}
# [provider.<name>] tables are each provider's business: they are kept as written and checked
# against its declaration (provider_facts.check_provider_settings)


@dataclass(frozen=True)
class Settings:
    """Everything the pipeline needs to know about the newsletter itself."""

    name: str = "Newsletter"
    url: str = ""
    language: str = "en"
    timezone: str = "UTC"
    send_time: time = time(9, 0)
    sender: str = f"Newsletter <{PLACEHOLDER_ADDRESS}>"  # with a name set: "<name> <…>"
    archive_path: str = "issues/{slug}/"
    feed_items: int = 20  # the newest issues the archive's feed carries in full
    address: str = ""  # the sender's postal address, in every footer (CAN-SPAM, CASL)
    commercial: bool = False  # a commercial list: a postal address is required
    subscribe_url: str = ""  # where the archive sends readers who want to subscribe
    utm: Mapping[str, str] = field(default_factory=dict)  # campaign tags (campaign.py)
    accent: str = "#1a5fb4"
    width: int = 640
    logo: str = ""  # an image address (absolute, or relative to `url`)
    logo_alt: str = ""  # default: the newsletter's name
    logo_width: int = 120
    show_subtitle: bool = True  # the subtitle under its title, in the email
    provider: str = field(default_factory=default_provider)  # see provider_facts
    auto_schedule: bool = True  # future issues are created scheduled (False: as drafts)
    grace_minutes: int = 60  # a run this late after an issue's send time still schedules it
    timeout: float = 20.0  # seconds to wait for one answer from the provider
    provider_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    smtp: Mapping[str, Any] = field(default_factory=dict)  # [smtp] as written; see smtp_settings
    root: Path | None = None  # the folder holding newsletter.toml; its templates/ override ours
    config_path: Path | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    policy: Policy = field(default_factory=Policy)  # [check]: which findings, how loud

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def content_width(self) -> int:
        """The body's column in px: the email's width less the card's side padding."""
        return self.width - 56

    @property
    def template_language(self) -> TemplateLanguage:
        """What the provider fills in when it sends: its merge tags, its unsubscribe tag."""
        return declared(self.provider).language

    @property
    def direction(self) -> str:
        return direction_of(self.language)

    @property
    def template_dirs(self) -> tuple[Path, ...]:
        if self.root is None:
            return ()
        own = self.root / "templates"
        return (own,) if own.is_dir() else ()

    def archive_url(self, slug: str) -> str:
        """The web copy of an issue, or "" when the newsletter has no `url`."""
        if not self.url:
            return ""
        return self.url.rstrip("/") + "/" + self.archive_path.format(slug=slug).lstrip("/")


def find_config(start: Path) -> Path | None:
    """The nearest newsletter.toml in `start` or a folder above it."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_settings(
    config: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    **overrides: Any,
) -> Settings:
    """Build Settings from an explicit config file, else MAILER_CONFIG, else the nearest one."""
    env = os.environ if env is None else env
    if config is None and env.get("MAILER_CONFIG"):
        config = Path(env["MAILER_CONFIG"])
    if config is None:
        config = find_config((cwd or Path.cwd()).resolve())
    values: dict[str, Any] = {}
    if config is not None:
        values = _read_config(config)
        values["root"] = config.resolve().parent
        values["config_path"] = config
    if env.get("MAILER_PROVIDER"):
        values["provider"] = env["MAILER_PROVIDER"]
    if env.get("MAILER_HTTP_TIMEOUT"):
        timeout = env["MAILER_HTTP_TIMEOUT"]
        try:
            values["timeout"] = float(timeout)
        except ValueError:
            values["timeout"] = math.nan  # refused below, with the range
        if not timeout_ok(values["timeout"]):
            raise ConfigError(f"MAILER_HTTP_TIMEOUT {timeout_problem(timeout)}")
    values.update({k: v for k, v in overrides.items() if v is not None})
    if "sender" not in values and values.get("name"):  # the From name is the newsletter's
        values["sender"] = f'"{quote(values["name"])}" <{PLACEHOLDER_ADDRESS}>'
    settings = Settings(**values)
    _validate(settings)
    return settings


def with_overrides(settings: Settings, **changes: Any) -> Settings:
    """A copy of `settings` with some fields changed, validated again."""
    changed = replace(settings, **changes)
    _validate(changed)
    return changed


def read_env(names: tuple[str, ...], env: Mapping[str, str] | None = None) -> str | None:
    """The first of these environment variables that is set."""
    env = os.environ if env is None else env
    return next((env[name] for name in names if env.get(name)), None)


def read_secret(names: tuple[str, ...], env: Mapping[str, str] | None = None) -> str | None:
    """A secret from the first of these variables that is set: white space around it (a
    pasted newline) is dropped, a line break inside it is refused without showing it, and
    every form it could be echoed in is masked in all output from now on."""
    env = os.environ if env is None else env
    name = next((name for name in names if env.get(name)), None)
    if name is None:
        return None
    secret = env[name]
    register_secret(secret)  # also as written, in case a server echoes the raw value
    secret = secret.strip()
    if not secret:
        return None
    if any(c in secret for c in "\r\n\0") or not secret.isprintable():
        raise ConfigError(
            f"{name} holds a line break or another control character inside it; "
            "set it again, on one line (its value is not shown)"
        )
    register_secret(secret)
    return secret


def _read_config(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("config file not found", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file ({exc})", source=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", source=str(path)) from None
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for section, table in data.items():
        if section not in _KNOWN:
            extra[section] = table  # other tools' and later features' sections are kept
            continue
        if not isinstance(table, dict):
            raise ConfigError(f"[{section}] must be a table", source=str(path))
        for key, value in table.items():
            if section == "provider" and isinstance(value, dict):
                values.setdefault("provider_options", {})[key] = value
                continue
            if section == "smtp":
                if key not in _KNOWN["smtp"]:
                    known = ", ".join(sorted(_KNOWN["smtp"]))
                    raise ConfigError(f"unknown key smtp.{key} (known: {known})", source=str(path))
                problem = smtp_value_problem(key, value)
                if problem:
                    raise ConfigError(f"smtp.{key} {problem}", source=str(path))
                values.setdefault("smtp", {})[key] = value
                continue
            if key not in _KNOWN[section]:
                known = ", ".join(sorted(_KNOWN[section]))
                raise ConfigError(f"unknown key {section}.{key} (known: {known})", source=str(path))
            values[_field_name(section, key)] = _coerce(section, key, value, path)
    values["extra"] = extra  # [check] too: the build's records then know when it changed
    if "check" in extra:
        try:
            values["policy"] = policy_from(extra["check"])
        except ConfigError as exc:
            raise ConfigError(exc.message, source=str(path)) from None
    return values


def _field_name(section: str, key: str) -> str:
    if section == "provider":
        return "provider" if key == "name" else key
    return {"from": "sender", "subtitle": "show_subtitle"}.get(key, key)


def _coerce(section: str, key: str, value: Any, path: Path) -> Any:
    if key == "utm":
        return utm_table(value, str(path))
    if key == "send_time":
        if isinstance(value, time):
            return value
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", str(value))
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise ConfigError(
                f'newsletter.send_time must be "HH:MM", not {value!r}', source=str(path)
            )
        return time(int(match[1]), int(match[2]))
    if key in ("auto_schedule", "commercial", "subtitle"):
        if not isinstance(value, bool):
            raise ConfigError(
                f"{section}.{key} must be true or false, not {value!r}", source=str(path)
            )
        return value
    if key == "timeout":
        if not isinstance(value, int | float) or isinstance(value, bool) or not timeout_ok(value):
            raise ConfigError(f"provider.timeout {timeout_problem(value)}", source=str(path))
        return float(value)
    if key in ("width", "grace_minutes", "feed_items", "logo_width"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(
                f"{section}.{key} must be a whole number, not {value!r}", source=str(path)
            )
        low, high = WHOLE_RANGES.get(key, (-(2**63), 2**63))
        if not low <= value <= high:
            raise ConfigError(
                f"{section}.{key} must be from {low} to {high}, not {value}", source=str(path)
            )
        return value
    if not isinstance(value, str):
        raise ConfigError(f"{section}.{key} must be a string, not {value!r}", source=str(path))
    return value


def _validate(settings: Settings) -> None:
    source = str(settings.config_path) if settings.config_path else None
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f'unknown timezone {settings.timezone!r} (use an IANA name like "Europe/Berlin")',
            source=source,
        ) from None
    if settings.url and not is_site_address(settings.url):
        raise ConfigError(
            f"newsletter.url must start with http:// or https://, not {settings.url!r}",
            source=source,
        )
    if not HEX_COLOR.match(settings.accent):
        raise ConfigError(
            f'theme.accent must be a hex colour like "#1a5fb4", not {settings.accent!r}',
            source=source,
        )
    if not 480 <= settings.width <= 800:
        raise ConfigError(
            f"theme.width must be between 480 and 800, not {settings.width}", source=source
        )
    _validate_brand(settings, source)
    check_provider_settings(settings.provider, settings.provider_options, source)
    try:
        mailbox(settings.sender, "newsletter.from")
    except ConfigError as exc:
        raise ConfigError(exc.message, source=source) from None
    problem = archive_path_problem(settings.archive_path)
    if problem:
        raise ConfigError(f"newsletter.archive_path {problem}", source=source)
    if not timeout_ok(settings.timeout):
        raise ConfigError(f"provider.timeout {timeout_problem(settings.timeout)}", source=source)
    for name in ("url", "subscribe_url", "logo"):
        value = getattr(settings, name)
        if not address_ok(value):
            raise ConfigError(
                f"{name} must be an address without spaces, quotes, < > or backslashes, "
                f"not {value!r}",
                source=source,
            )


def _validate_brand(settings: Settings, source: str | None) -> None:
    """The logo, the footer's address and the archive's subscribe link."""
    if settings.logo and not (is_site_address(settings.logo) or settings.url):
        raise ConfigError(
            f"theme.logo {settings.logo!r} is not a web address: write the full https:// "
            "address, or set newsletter.url for a path on your site",
            source=source,
        )
    if not 16 <= settings.logo_width <= settings.content_width:
        raise ConfigError(
            f"theme.logo_width must be between 16 and {settings.content_width} (the column), "
            f"not {settings.logo_width}",
            source=source,
        )
    if settings.subscribe_url and not is_site_address(settings.subscribe_url):
        raise ConfigError(
            f"newsletter.subscribe_url must start with https:// (or http://), not "
            f"{settings.subscribe_url!r}",
            source=source,
        )
    for name in ("address", "logo_alt"):
        value = getattr(settings, name)
        breaks = "\n" if name == "address" else ""
        if any(ord(c) < 32 and c not in breaks for c in value) or len(value) > 500:
            raise ConfigError(
                f"{name} must be plain text of at most 500 characters (line breaks allowed in "
                "address)",
                source=source,
            )
