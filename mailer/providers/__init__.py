"""The providers mailer can push to, by name, and the one way to connect to the configured one.

Each provider is its declaration (``buttondown.toml``: who it is, its settings, its secrets, its
template language — read without this package by ``mailer.core.provider_facts``) and one module
of code (``buttondown.py``: its API). Built-ins register here as add-ons would (``register``);
nothing outside this folder names a provider.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from mailer.core.config import Settings, read_env, read_secret
from mailer.core.errors import ConfigError
from mailer.core.provider_facts import check_provider_settings, declare
from mailer.core.secrets import register as register_secret
from mailer.providers.base import Draft, Provider, PushResult, RemoteEmail, Target
from mailer.providers.buttondown import ButtondownProvider
from mailer.providers.http import HttpClient
from mailer.providers.kit import KitProvider
from mailer.providers.listmonk import ListmonkProvider
from mailer.providers.mailchimp import MailchimpProvider

PROVIDERS: dict[str, type[Provider]] = {}

__all__ = [
    "PROVIDERS",
    "Draft",
    "Provider",
    "PushResult",
    "RemoteEmail",
    "Target",
    "get_provider",
    "lookup",
    "register",
]


def register(cls: type[Provider]) -> None:
    """Make a provider known: its facts to settings and ``init``, its code to sending."""
    declare(cls.facts)
    PROVIDERS[cls.name] = cls


for _builtin in (ButtondownProvider, MailchimpProvider, ListmonkProvider, KitProvider):
    register(_builtin)


def lookup(settings: Settings) -> type[Provider]:
    """The configured provider's class; ConfigError for a name or a table mailer does not know."""
    source = str(settings.config_path) if settings.config_path else None
    facts = check_provider_settings(settings.provider, settings.provider_options, source)
    cls = PROVIDERS.get(facts.name)
    if cls is None:
        raise ConfigError(f"{facts.display_name} is declared but its code is not installed")
    return cls


def get_provider(
    settings: Settings,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Provider:
    """The configured provider, with its key from the environment (never from a file)."""
    cls = lookup(settings)
    try:  # what sending needs, before the key is read or any request is made
        cls.check_options(settings.provider_options.get(cls.name, {}), to_send=True)
    except ConfigError as exc:
        path = settings.config_path
        raise ConfigError(exc.message, source=str(path) if path else None) from None
    api_key = read_secret(cls.api_key_env, env)
    if not api_key:
        raise ConfigError(f"No API key for {cls.display_name}: set {cls.api_key_env[0]}")
    if not api_key.isascii():  # HTTP headers carry Latin-1 at most; no provider's key is more
        raise ConfigError(
            f"{cls.api_key_env[0]} holds a character that is not ASCII: copy the key again "
            "from the provider (its value is not shown)"
        )
    options = dict(settings.provider_options.get(cls.name, {}))
    from_file = options.pop("base_url", None)  # only where base_url_in_config (see options)
    configured = read_env((cls.base_url_env,), env) or from_file
    base_url = str(cls.base_url(api_key, str(configured) if configured else None))
    check_transport(base_url, cls.base_url_env if configured else "")
    register_secret(api_key, *cls.secret_parts(api_key))
    headers = cls.auth_headers(api_key)
    for name, value in headers.items():
        # "Basic base64(…)": echoed whole by some servers. Only what carries the key: a
        # version header is no secret, and masking it would hide every date like it
        if name.lower() == "authorization" or api_key in value:
            register_secret(value)
    http = HttpClient(
        cls.display_name,
        base_url,
        headers,
        key_hint=f"check {cls.api_key_env[0]}",
        timeout=settings.timeout,
        sleep=sleep or time.sleep,
    )
    return cls(http, options, settings.sender)


LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def check_transport(base_url: str, where: str) -> None:
    """Credentials go out over https, or to this machine (a self-hosted server, a test)."""
    parts = urlsplit(base_url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in LOOPBACK:
        return
    source = f" (from {where})" if where else ""
    raise ConfigError(
        f"the API address {base_url!r}{source} must start with https:// (plain http:// only "
        "to 127.0.0.1 or localhost): the API key would travel in clear text"
    )
