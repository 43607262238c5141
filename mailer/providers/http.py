"""The HTTP client every provider shares: base URL, timeouts, user agent, auth, retries,
error mapping and redaction. Providers describe endpoints; this module talks to them.

Retries: 429 waits for ``Retry-After`` (capped; an unreadable value means backing off), 5xx,
timeouts and dropped connections back off and try again — for GET, PATCH, PUT and DELETE only.
A POST that creates something is never retried here: its response may have been lost after the
provider committed it, so it raises ``OutcomeUnknown`` and sync looks again before trying once
more.

Answers are data from outside: ``json_object`` turns a body that is not JSON, or not the JSON
object the caller expects (a proxy's HTML page, a truncated body, a list), into a
``ProviderError`` naming the provider and the HTTP status, never a traceback.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mailer import __version__
from mailer.core.errors import (
    DETAIL_CHARS,
    OutcomeUnknown,
    ProviderAuthError,
    ProviderError,
    ProviderUnavailable,
)
from mailer.core.secrets import redact

if TYPE_CHECKING:  # imported when a client is made: `mailer build` never pays for it
    import requests

USER_AGENT = f"mailer/{__version__} (+https://github.com/mailer-newsletter)"
RETRYABLE_STATUS = {429, 500, 502, 503, 504}
IDEMPOTENT = {"GET", "HEAD", "PUT", "PATCH", "DELETE"}


class HttpClient:
    """requests.Session with our defaults; `sleep` is injectable so tests need not wait."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        headers: Mapping[str, str],
        *,
        key_hint: str,
        timeout: float = 20.0,
        attempts: int = 4,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.key_hint = key_hint
        self.timeout = timeout
        self.attempts = attempts
        self.max_wait = max_wait
        self.sleep = sleep
        import requests

        self.session = requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        self.session.headers.update(headers)
        self.log: list[str] = []  # method, URL and status of every exchange (no headers)

    def url(self, path: str) -> str:
        """The full address of `path`; an absolute one (a `next` page link from the server)
        only on the API's own scheme, host and port: the key never goes anywhere else."""
        if not path.startswith(("http://", "https://")):
            return self.base_url + path
        if urlsplit(path)[:2] != urlsplit(self.base_url)[:2]:
            raise ProviderError(
                self.provider,
                "pointed to a page on another address",
                hint="mailer does not send your key there; check the API address",
            )
        return path

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        safe_to_repeat: bool = False,
    ) -> requests.Response:
        """One logical request: retried when that is safe, mapped to our errors when it fails.

        `safe_to_repeat` marks a POST whose repetition changes nothing more (an action such as
        "schedule at T"); a POST that creates something never sets it.
        """
        retry = method in IDEMPOTENT or safe_to_repeat
        last = "no attempt"
        for attempt in range(1, self.attempts + 1):
            try:
                response = self.session.request(
                    method,
                    self.url(path),
                    json=json,
                    params=params,
                    headers=headers,
                    timeout=self.timeout,
                    # never: an API that redirects is misconfigured, and requests would carry
                    # a header like X-Kit-Api-Key to whatever host the redirect names
                    allow_redirects=False,
                )
            except (_requests().ConnectionError, _requests().Timeout) as exc:
                last = _describe(exc, self.url(path))
                self.log.append(f"{method} {path} -> {last}")
                if not retry:
                    raise self._unknown(method, path, last) from None
                self._pause(attempt)
                continue
            self.log.append(f"{method} {path} -> {response.status_code}")
            if response.status_code == 429:
                wait = _retry_after(response)
                last = "rate limited (HTTP 429)"
                if wait is None:
                    wait = self._backoff(attempt)
                if wait > self.max_wait or attempt == self.attempts:
                    raise ProviderUnavailable(
                        self.provider,
                        "is rate limiting us",
                        status=429,
                        detail=f"asked to wait {wait:.0f} s",
                        hint="run again later",
                    )
                self.sleep(wait)
                continue  # a 429 was refused, not processed: safe to repeat even a POST
            if response.status_code in RETRYABLE_STATUS:
                last = f"HTTP {response.status_code}"
                if not retry:
                    raise self._unknown(method, path, last)
                self._pause(attempt)
                continue
            if response.status_code >= 400:
                raise self.error(response)
            if 300 <= response.status_code < 400:
                raise ProviderError(
                    self.provider,
                    f"redirected {method} {path} elsewhere (HTTP {response.status_code})",
                    hint="mailer does not follow it with your key; check the API address",
                )
            return response
        raise ProviderUnavailable(
            self.provider,
            "did not answer usefully",
            detail=last,
            hint=f"tried {self.attempts} times; run again later",
        )

    def json_object(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        safe_to_repeat: bool = False,
        inside: str | None = None,
    ) -> dict[str, Any]:
        """The answer's JSON object (or the object under its key `inside`, such as "data")."""
        response = self.request(
            method, path, json=json, params=params, headers=headers, safe_to_repeat=safe_to_repeat
        )
        try:
            body = response.json()
        except ValueError:
            raise self.malformed(response, "an answer that is not JSON") from None
        if inside is not None:
            body = body.get(inside) if isinstance(body, dict) else None
        if not isinstance(body, dict):
            raise self.malformed(response, "JSON that is not the object mailer expects")
        return body

    def malformed(self, response: requests.Response | None, what: str) -> ProviderError:
        """An answer mailer cannot read: named, with the status, never shown raw."""
        return ProviderError(
            self.provider,
            f"sent {what}",
            status=response.status_code if response is not None else None,
            hint="nothing was assumed from it; run again later, or check the base URL",
        )

    def _unknown(self, method: str, path: str, reason: str) -> OutcomeUnknown:
        return OutcomeUnknown(self.provider, f"gave no answer to {method} {path}", detail=reason)

    def _pause(self, attempt: int) -> None:
        if attempt < self.attempts:  # no point waiting after the last try
            self.sleep(self._backoff(attempt))

    def _backoff(self, attempt: int) -> float:
        return float(min(self.max_wait, 0.5 * 2 ** (attempt - 1)))

    def error(self, response: requests.Response) -> ProviderError:
        """The provider's own message, with status and code; never a header or the key."""
        code, detail = _parse_error(response)
        what = "rejected the request"
        if response.status_code in (401, 403):
            return ProviderAuthError(
                self.provider,
                "refused the API key"
                if response.status_code == 401
                else "says the API key may not do this",
                status=response.status_code,
                code=code,
                detail=detail,
                hint=self.key_hint,
            )
        if response.status_code == 404:
            what = "has no such object"
        return ProviderError(
            self.provider, what, status=response.status_code, code=code, detail=detail
        )


_UNRESOLVED = (
    "NameResolutionError",
    "Name or service not known",
    "Temporary failure in name resolution",
    "nodename nor servname",
    "getaddrinfo failed",
    "No address associated with hostname",
)


def _describe(exc: Exception, url: str) -> str:
    """What went wrong on the way, in words: a name that did not resolve (offline, or a wrong
    address) reads differently from a server that refused or dropped the connection."""
    if isinstance(exc, _requests().Timeout):
        return "timed out"
    said = repr(exc)
    host = urlsplit(url).hostname or url
    if any(words in said for words in _UNRESOLVED):
        return f"the name {host} did not resolve (no network here, or a wrong address)"
    if "Connection refused" in said or "ConnectionRefusedError" in said:
        return f"{host} refused the connection"
    return "the connection failed or was dropped"


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None  # "soon" and other inventions: back off instead
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _parse_error(response: requests.Response) -> tuple[str | None, str]:
    try:
        body = response.json()
    except ValueError:
        return None, redact(response.text.strip())[:DETAIL_CHARS]
    if isinstance(body, dict):
        detail = body.get("detail") or body.get("message") or body.get("error") or ""
        if isinstance(detail, list):  # validation errors: [{"loc": [...], "msg": ...}]
            detail = "; ".join(
                f"{'.'.join(str(p) for p in item.get('loc', [])[1:]) or 'body'}: {item.get('msg')}"
                if isinstance(item, dict)
                else str(item)
                for item in detail
            )
        errors = body.get("errors")
        if not detail and isinstance(errors, list):
            detail = "; ".join(
                str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors
            )
        # Buttondown says "code"; Mailchimp's RFC 9457 problem details say "title"
        code = body.get("code") or body.get("title")
        return (str(code) if code else None), str(detail)
    return None, redact(str(body))[:DETAIL_CHARS]


def _requests() -> Any:
    import requests

    return requests
