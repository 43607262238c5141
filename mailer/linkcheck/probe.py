"""One address, asked over HTTP the way a careful browser would, and judged.

HEAD first (no body); GET when HEAD is refused or answers with an error, since many servers
answer HEAD wrongly; a body is never read past a few KB. Redirects are followed here, one hop
at a time, so that a loop, a permanent move and a deep link that lands on the site's home page
or a login page can each be told apart. No cookies are kept between addresses.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from mailer.core.finding import Severity

MAX_HOPS = 10
BODY_BYTES = 4096  # read at most this much of a GET's body, then hang up
HEADERS = {
    # some sites refuse clients that do not look like a browser; we read, we do not crawl
    "User-Agent": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0 Safari/537.36 mailer-link-check"
    ),
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/*;q=0.8,*/*;q=0.5",
    "Accept-Language": "en",
}
HEAD_REFUSED = {400, 403, 404, 405, 406, 410, 429, 500, 501, 503}  # then ask with GET
LOGIN_WORDS = ("login", "signin", "sign-in", "sign_in", "auth", "sso", "account")


@dataclass(frozen=True)
class Verdict:
    """What a reader clicking the address would get; `rule` empty when the link is good."""

    rule: str = ""
    severity: Severity = "warning"
    message: str = ""
    retry: bool = False  # a fault worth one more try (timeout, reset, TLS, 5xx, 429)
    wait: float = 0.0  # seconds the server asked us to wait (Retry-After)

    @property
    def good(self) -> bool:
        return not self.rule


GOOD = Verdict()


async def probe(client: httpx.AsyncClient, url: str) -> Verdict:
    """Ask for `url`, follow its redirects, and judge the answer."""
    try:
        verdict = await _follow(client, url, "HEAD")
        if verdict is None:
            verdict = await _follow(client, url, "GET")
        return verdict or GOOD
    except httpx.TimeoutException:
        return Verdict("link-timeout", "error", "no answer in time", retry=True)
    except httpx.ConnectError as exc:
        return _connect_failure(exc)
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
        return Verdict(
            "link-unreachable", "error", f"the connection failed ({_reason(exc)})", retry=True
        )
    except httpx.InvalidURL as exc:
        return Verdict("link-dead", "error", f"not a valid address ({exc})")
    except httpx.HTTPError as exc:
        return Verdict("link-unreachable", "error", f"the request failed ({_reason(exc)})", True)


async def _follow(client: httpx.AsyncClient, url: str, method: str) -> Verdict | None:
    """The verdict for `method`, or None when a HEAD answer should be asked again by GET."""
    seen = [url]
    moved_for_good = True
    current = url
    for _ in range(MAX_HOPS + 1):
        request = client.build_request(method, current, headers=HEADERS)
        response = await client.send(request, stream=True)
        try:
            status = response.status_code
            location = response.headers.get("location")
            if method == "GET":
                await _read_a_little(response)
        finally:
            await response.aclose()
        if 300 <= status < 400 and location:
            moved_for_good = moved_for_good and status in (301, 308)
            current = urljoin(current, location)
            if current in seen:
                return Verdict("link-redirect-loop", "error", "redirects in a loop", retry=True)
            seen.append(current)
            continue
        if method == "HEAD" and status in HEAD_REFUSED:
            return None
        return _judge(url, current, status, len(seen) > 1, moved_for_good, response.headers)
    return Verdict("link-redirect-loop", "error", f"redirects more than {MAX_HOPS} times")


def _judge(
    url: str,
    final: str,
    status: int,
    redirected: bool,
    moved_for_good: bool,
    headers: httpx.Headers,
) -> Verdict:
    if status in (404, 410):
        gone = "gone (HTTP 410)" if status == 410 else "not found (HTTP 404)"
        where = f" after redirecting to {final}" if redirected else ""
        return Verdict("link-dead", "error", f"{gone}{where}")
    if status == 429:
        return Verdict(
            "link-rate-limited",
            "warning",
            "the site asked us to slow down (HTTP 429); check it by hand",
            retry=True,
            wait=_retry_after(headers.get("retry-after")),
        )
    if status >= 500:
        return Verdict(
            "link-server-error", "warning", f"the site answered HTTP {status}", retry=True
        )
    if status >= 400:
        return Verdict(
            "link-refused",
            "warning",
            f"the site refused us (HTTP {status}); it may refuse robots only: check it by hand",
        )
    if redirected:
        asked, landed = urlsplit(url), urlsplit(final)
        deep = asked.path.strip("/") != "" or bool(asked.query)
        if deep and landed.path.strip("/") == "" and not landed.query:
            return Verdict(
                "link-soft-404",
                "warning",
                f"redirects to the site's home page ({final}): the page is probably gone",
            )
        if any(word in landed.path.lower() for word in LOGIN_WORDS):
            return Verdict(
                "link-soft-404",
                "warning",
                f"redirects to a login page ({final}): readers may not get in",
            )
        if moved_for_good:
            return Verdict("link-moved", "warning", f"moved permanently to {final}: link there")
    return GOOD


async def _read_a_little(response: httpx.Response) -> None:
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read >= BODY_BYTES:
            break


def _retry_after(value: str | None) -> float:
    if not value:
        return 0.0
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return 0.0


def _connect_failure(exc: httpx.ConnectError) -> Verdict:
    cause = exc.__cause__ or exc.__context__
    while cause is not None and not isinstance(cause, OSError | ssl.SSLError):
        cause = cause.__cause__ or cause.__context__
    text = str(exc).lower()
    if isinstance(cause, ssl.SSLError) or "certificate" in text or "ssl" in text:
        return Verdict(
            "link-tls", "error", f"its TLS certificate is not valid ({_reason(exc)})", True
        )
    if (
        "name or service not known" in text
        or "nodename nor servname" in text
        or ("name resolution" in text or "no address associated" in text)
    ):
        return Verdict("link-dead", "error", "its host name does not exist (DNS)")
    return Verdict("link-unreachable", "error", f"cannot connect ({_reason(exc)})", retry=True)


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]
