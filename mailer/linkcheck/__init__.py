"""``mailer check --links``: every web address of the issues, followed, once each.

The only part of mailer's checks that uses the network, and only when asked. The addresses
come from each issue's Markdown and raw HTML (links, images, the hero image) with their lines,
relative ones made absolute with the ``url`` setting; merge tags, ``mailto:`` and in-page
anchors are left out. Each distinct address is asked once, however many issues carry it.

httpx (async) asks them concurrently: at most ``PER_HOST`` at a time of one site (polite, and
what sites that rate-limit expect) and ``CONCURRENCY`` in all. Each address has a deadline for
its whole answer (connecting, the headers, the redirects, the first bytes of the body), not only
for each read: a site that drips one byte a second costs its own links at most that deadline
each, and is reported as not checked (a warning), never waited on past it. The whole run keeps
within a budget. A fault that may pass (a timeout, a reset, a TLS failure, 5xx, 429) is
tried once more, after the server's Retry-After when it gave one that fits the budget.

Good answers are remembered in ``.mailer/links.json`` beside newsletter.toml for
``max_age`` hours, so checking again while editing asks only about new or bad addresses.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.cookiejar import Cookie, CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any

from mailer.checks.inventory import take_inventory
from mailer.core.config import Settings
from mailer.core.finding import Finding
from mailer.core.urls import absolute_url, base_for, is_merge_tag
from mailer.issue import batch
from mailer.issue.load import load_issue
from mailer.issue.markdown import parse_markdown
from mailer.linkcheck import cache
from mailer.linkcheck.probe import Verdict, probe

CONCURRENCY = 24
PER_HOST = 2
TIMEOUT = 10.0  # seconds for one request
BUDGET = 180.0  # seconds for the whole run
MAX_WAIT = 30.0  # the longest Retry-After we honour
WHOLE_ANSWER = 1.5  # an address's whole answer may take this many times TIMEOUT


@dataclass(frozen=True)
class Place:
    path: Path
    line: int | None


@dataclass
class LinkReport:
    findings: list[Finding] = field(default_factory=list)
    addresses: int = 0  # distinct addresses
    asked: int = 0  # of them, asked over the network
    remembered: int = 0  # of them, good from the cache
    seconds: float = 0.0


def addresses_of(
    source: Path, settings: Settings, since: date | None = None
) -> tuple[tuple[str, int | None], ...]:
    """Every web address in one issue, with its line (a batch task); none for an issue dated
    before `since`."""
    issue = load_issue(source, settings)
    if since is not None and issue.date < since:
        return ()
    doc = parse_markdown(issue.body, issue.body_line, issue.path)
    inventory = take_inventory(doc)
    base = base_for(settings.url)
    found: list[tuple[str, int | None]] = [
        (link.href, doc.line_at(link.index)) for link in inventory.links
    ]
    found += [(image.src, doc.line_at(image.index)) for image in inventory.images]
    hero = issue.meta.get("hero_img")
    if isinstance(hero, str):
        found.append((hero.strip(), issue.line_of("hero_img")))
    web = []
    for address, line in found:
        if not address or is_merge_tag(address):
            continue
        absolute = absolute_url(address.strip(), base).split("#", 1)[0]
        if absolute.lower().startswith(("http://", "https://")):
            web.append((absolute, line))
    return tuple(web)


def check_links(
    paths: list[Path],
    settings: Settings,
    *,
    use_cache: bool = True,
    max_age: timedelta = timedelta(hours=24),
    timeout: float = TIMEOUT,
    budget: float = BUDGET,
    since: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> LinkReport:
    """Follow every address under `paths`; findings for the bad ones, at each place they occur.

    An issue that cannot be read is left to the other rules (`mailer check` reports it)."""
    started = time.monotonic()
    places: dict[str, list[Place]] = {}
    for outcome in batch.run_paths(addresses_of, paths, settings, since):
        for address, line in outcome.value or ():
            places.setdefault(address, []).append(Place(outcome.source, line))
    report = LinkReport(addresses=len(places))
    now = datetime.now(UTC)
    known = cache.load(settings, max_age, now) if use_cache else {}
    todo = [address for address in places if address not in known]
    report.remembered = len(places) - len(todo)
    report.asked = len(todo)
    verdicts = asyncio.run(_ask_all(todo, timeout, budget, progress))
    for address, verdict in verdicts.items():
        if verdict.good:
            known[address] = now
            continue
        for place in places[address]:
            report.findings.append(
                Finding(
                    place.path,
                    place.line,
                    verdict.rule,
                    verdict.severity,
                    f"{address}: {verdict.message}",
                )
            )
    if use_cache:
        cache.save(settings, {a: t for a, t in known.items() if a in places or now - t < max_age})
    report.findings.sort(key=lambda f: (str(f.path), f.line or 0))
    report.seconds = time.monotonic() - started
    return report


async def _ask_all(
    addresses: list[str],
    timeout: float,
    budget: float,
    progress: Callable[[int, int], None] | None,
) -> dict[str, Verdict]:
    import httpx

    started = time.monotonic()
    deadline = started + budget
    # the whole answer's deadline: past a read's timeout, so that a site that says nothing at
    # all is still told apart (no answer: an error) from one that drips (too slow: a warning)
    whole = timeout * WHOLE_ANSWER
    overall = asyncio.Semaphore(CONCURRENCY)
    hosts: dict[str, asyncio.Semaphore] = {}
    verdicts: dict[str, Verdict] = {}
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)

    async def one(client: httpx.AsyncClient, address: str) -> None:
        try:
            host = httpx.URL(address).host
        except httpx.InvalidURL:
            host = ""  # probe() reports it
        per_host = hosts.setdefault(host, asyncio.Semaphore(PER_HOST))
        async with per_host, overall:  # a slot in all only once its host has one free
            verdict = await _within(deadline, _in_time(probe(client, address), whole))
            if verdict.retry and time.monotonic() + verdict.wait + whole < deadline:
                await asyncio.sleep(min(verdict.wait, MAX_WAIT) or 0.5)
                verdict = await _within(deadline, _in_time(probe(client, address), whole))
        verdicts[address] = verdict
        if progress is not None:
            progress(len(verdicts), len(addresses))

    async with httpx.AsyncClient(
        timeout=httpx.Timeout(timeout),
        limits=limits,
        follow_redirects=False,
        cookies=CookieJar(policy=_NoCookies()),  # no site's cookie reaches another request
        trust_env=False,  # no proxy or netrc of the environment: the same run everywhere
    ) as client:
        await asyncio.gather(*(one(client, address) for address in addresses))
    return verdicts


async def _in_time(asking: Coroutine[Any, Any, Verdict], seconds: float) -> Verdict:
    """The verdict, or "too slow" when the whole answer takes longer than `seconds` (httpx's
    timeouts are per read: a byte a second never trips them)."""
    try:
        return await asyncio.wait_for(asking, seconds)
    except TimeoutError:
        return Verdict(
            "link-timeout",
            "warning",
            f"not checked: no complete answer within {seconds:g} s (the site is too slow)",
        )


async def _within(deadline: float, asking: Coroutine[Any, Any, Verdict]) -> Verdict:
    """The verdict, or "not checked" when the run's budget runs out first."""
    left = deadline - time.monotonic()
    try:
        if left <= 0:
            raise TimeoutError
        return await asyncio.wait_for(asking, left)
    except TimeoutError:
        asking.close()  # never started, or cancelled by wait_for: closing is harmless
        return Verdict("link-unchecked", "warning", "not checked: the run's time budget ran out")


class _NoCookies(DefaultCookiePolicy):
    def set_ok(self, cookie: Cookie, request: object) -> bool:
        return False
