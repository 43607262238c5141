"""The providers mailer can push to, by name. Built-ins register like add-ons would."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from mailer.config import Settings, read_env
from mailer.errors import ConfigError
from mailer.providers.base import Draft, Provider, PushResult, RemoteEmail, Target
from mailer.providers.buttondown import ButtondownProvider
from mailer.providers.http import HttpClient
from mailer.providers.kit import KitProvider
from mailer.providers.listmonk import ListmonkProvider
from mailer.providers.mailchimp import MailchimpProvider

PROVIDERS: dict[str, type[Provider]] = {
    cls.name: cls for cls in (ButtondownProvider, MailchimpProvider, ListmonkProvider, KitProvider)
}

__all__ = ["PROVIDERS", "Draft", "Provider", "PushResult", "RemoteEmail", "Target", "get_provider"]


def get_provider(
    settings: Settings,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Provider:
    """The configured provider, with its key from the environment (never from a file)."""
    cls = PROVIDERS.get(settings.provider)
    if cls is None:
        raise ConfigError(
            f"pushing to {settings.provider!r} is not supported yet "
            f"(supported: {', '.join(sorted(PROVIDERS))})"
        )
    api_key = read_env(cls.api_key_env, env)
    if not api_key:
        raise ConfigError(f"No API key for {cls.display_name}: set {cls.api_key_env[0]}")
    options = dict(settings.provider_options.get(cls.name, {}))
    options.setdefault("from", settings.sender)
    from_file = options.pop("base_url", None)
    configured = read_env((cls.base_url_env,), env) or from_file
    base_url = cls.base_url(api_key, str(configured) if configured else None)
    http = HttpClient(
        cls.display_name,
        str(base_url),
        cls.auth_headers(api_key),
        key_hint=f"check {cls.api_key_env[0]}",
        timeout=settings.timeout,
        sleep=sleep or time.sleep,
    )
    return cls(http, options)
