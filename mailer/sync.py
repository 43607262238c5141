"""``mailer sync``: make the provider match the repository, safely and repeatably.

The repository is the desired state. For each issue (by its stable key) and the provider's
email for it:

| repository says                  | provider has        | step                                  |
|----------------------------------|---------------------|---------------------------------------|
| future, not a draft              | nothing             | create scheduled at the send time     |
|                                  |                     | (a draft if auto_schedule is off)     |
| draft: true                      | nothing             | create as a draft                     |
| content or time changed          | draft / scheduled   | update (only when something differs)  |
| draft: true, or the file is gone | scheduled           | unschedule (back to draft)            |
| anything                         | sent / on its way   | never touched; a warning if changed   |
| past, never pushed               | nothing             | not sent, reported (unless within the |
|                                  |                     | grace window: then scheduled shortly) |

``plan_sync`` is a pure function from (issues, provider emails, now) to steps, so the table is
tested directly; ``apply`` carries steps out through the provider's idempotent push.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from mailer.config import Settings
from mailer.errors import MailerError, ProviderAuthError, ProviderError
from mailer.issue import Issue, find_issues, load_issue
from mailer.message import content_hash
from mailer.providers import Draft, Provider, PushResult, RemoteEmail, Target
from mailer.providers.base import same_content
from mailer.render import Rendered, render_issue

LEAD = timedelta(minutes=2)  # the soonest we schedule: providers refuse times in the past

Action = Literal["create", "update", "unschedule", "none", "sent", "sent-changed", "past"]
WRITES = {"create", "update", "unschedule"}


@dataclass(frozen=True)
class Step:
    """What sync will do (or did not need to do) for one issue key."""

    key: str
    action: Action
    reason: str
    source: Path | None = None
    send_at: datetime | None = None
    target: Target | None = None
    remote: RemoteEmail | None = None
    draft: Draft | None = None


@dataclass
class Outcome:
    step: Step
    result: str = ""  # created, updated, unscheduled, unchanged; or the error
    remote_id: str = ""
    url: str = ""
    failed: bool = False


@dataclass
class SyncReport:
    steps: list[Step]
    outcomes: list[Outcome] = field(default_factory=list)
    broken: list[tuple[Path, MailerError]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the provider cannot take, said once

    @property
    def failed(self) -> bool:
        return bool(self.broken) or any(o.failed for o in self.outcomes)


def draft_of(rendered: Rendered) -> Draft:
    """The provider-facing form of a rendered issue."""
    return Draft(
        key=rendered.issue.slug,
        subject=rendered.subject,
        preheader=rendered.preheader,
        html=rendered.html,
        body_html=rendered.body_html,
        text=rendered.text,
        content_hash=content_hash(rendered),
        source=rendered.issue.path,
    )


def desired(issue: Issue, settings: Settings, now: datetime) -> Target | None:
    """Where an issue should be at the provider now; None: in the past, must not be sent."""
    if issue.draft:
        return Target("draft")
    if issue.send_at > now + LEAD:
        return Target("scheduled", issue.send_at) if settings.auto_schedule else Target("draft")
    if now - issue.send_at <= timedelta(minutes=settings.grace_minutes):
        return Target("scheduled", None)  # overdue but within grace: as soon as possible
    return None


def plan_sync(
    issues: Iterable[tuple[Issue, Draft]],
    remotes: Iterable[RemoteEmail],
    settings: Settings,
    now: datetime,
    *,
    prune: bool,
    normalize: Callable[[Target], Target] = lambda target: target,
) -> list[Step]:
    """The steps that make the provider match the repository. Pure: no network, no clock.

    `normalize` puts a target on the provider's grid (Mailchimp's quarter hours), so that a
    rounded schedule already in place counts as up to date.
    """
    by_key: dict[str, list[RemoteEmail]] = {}
    for email in remotes:
        if email.key:
            by_key.setdefault(email.key, []).append(email)
    order = {"sent": 0, "scheduled": 1, "draft": 2}
    steps: list[Step] = []
    seen: set[str] = set()
    for issue, draft in issues:
        seen.add(draft.key)
        found = by_key.get(draft.key, [])
        remote = min(found, key=lambda r: order[r.state]) if found else None
        steps.append(_step(issue, draft, remote, desired(issue, settings, now), now, normalize))
    if prune:
        for key, found in sorted(by_key.items()):
            for orphan in found:
                # only emails mailer made: a hand-made email that shares a slug is not ours
                if key not in seen and orphan.managed and orphan.state == "scheduled":
                    steps.append(
                        Step(
                            key,
                            "unschedule",
                            "its issue file is gone: back to draft",
                            remote=orphan,
                        )
                    )
    return steps


def _step(
    issue: Issue,
    draft: Draft,
    remote: RemoteEmail | None,
    target: Target | None,
    now: datetime,
    normalize: Callable[[Target], Target],
) -> Step:
    if target is not None and target.state == "scheduled" and target.at is None:
        # overdue within grace: keep a future schedule it already has, else as soon as possible
        keep = (
            remote is not None
            and remote.state == "scheduled"
            and remote.publish_at
            and remote.publish_at > now
        )
        target = Target("scheduled", remote.publish_at if keep and remote else now + LEAD)

    if target is not None:
        target = normalize(target)

    def step(action: Action, reason: str, target: Target | None = target) -> Step:
        return Step(draft.key, action, reason, issue.path, issue.send_at, target, remote, draft)

    if remote is None:
        if target is None:
            return step("past", "dated in the past and never pushed: not sent")
        return step(
            "create",
            f"new: {target.state}"
            + (" (late, within the grace window)" if issue.send_at <= now else ""),
        )
    if remote.state == "sent":
        if remote.content_hash and not same_content(remote, draft):
            return step("sent-changed", f"already {remote.status}; the file changed since")
        return step("sent", f"already {remote.status}")
    if target is None:
        if remote.state == "scheduled":
            return step("unschedule", "dated in the past: unscheduled, not sent")
        return step("none", "dated in the past; left as a draft")
    if Provider.in_target(remote, draft, target):
        return step("none", f"up to date ({remote.state})")
    what = []
    if not same_content(remote, draft):
        what.append("content changed")
    if remote.state != target.state:
        what.append(f"{remote.state} → {target.state}")
    elif target.state == "scheduled":
        what.append("new send time")
    return step("update", ", ".join(what) or "out of date")


def push_target(
    issue: Issue,
    settings: Settings,
    *,
    as_draft: bool = False,
    at: str | None = None,
    now: datetime | None = None,
) -> Target:
    """Where `mailer push` puts an issue: a draft, a given time, or its own send time."""
    now = now or datetime.now(UTC)
    if as_draft or issue.draft:
        return Target("draft")
    when = issue.send_at
    if at:
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            raise MailerError(
                f"--at {at!r} is not a time; write 2026-11-27T08:00:00-05:00"
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=settings.zone)
    if when <= now + LEAD:
        raise MailerError(
            f"{issue.path}: the send time {describe_time(when, settings)} is not in "
            "the future; use --at TIME or --draft (mailer never sends at once)"
        )
    return Target("scheduled", when)


def test_send_via_provider(provider: Provider, draft: Draft, recipients: list[str]) -> PushResult:
    """Bring the provider's copy up to date as sync would, then test-send it.

    Never schedules: a draft stays a draft, a scheduled email keeps its time.
    """
    remote = provider.find(draft.key)
    if remote is not None and remote.state == "sent":
        raise ProviderError(
            provider.display_name,
            f"already sent {draft.key!r}",
            detail="test-send it by SMTP instead",
        )
    target = Target("draft")
    if remote is not None and remote.state == "scheduled":
        target = Target("scheduled", remote.publish_at)
    result = provider.push(draft, target, remote, looked=True)
    fresh = provider.find(draft.key, refresh=True)
    assert fresh is not None
    provider.send_test(fresh, recipients)
    return result


def load_for_sync(
    paths: list[Path], settings: Settings
) -> tuple[list[tuple[Issue, Draft]], list[tuple[Path, MailerError]]]:
    """Render every issue; the ones that fail are returned apart, never silently skipped."""
    loaded: list[tuple[Issue, Draft]] = []
    broken: list[tuple[Path, MailerError]] = []
    for source in find_issues(paths):
        try:
            issue = load_issue(source, settings)
            loaded.append((issue, draft_of(render_issue(issue, settings, checks=False))))
        except MailerError as exc:
            broken.append((source, exc))
    return loaded, broken


def sync(
    paths: list[Path],
    settings: Settings,
    provider: Provider,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
) -> SyncReport:
    """Plan, then (unless a dry run) carry out the plan."""
    now = now or datetime.now(UTC)
    issues, broken = load_for_sync(paths, settings)
    # only a whole folder can say an issue was removed; and not if any issue failed to load,
    # since its key is unknown and it must not be taken for a removed one
    prune = all(p.is_dir() for p in paths) and not broken
    steps = plan_sync(
        issues, provider.emails(), settings, now, prune=prune, normalize=provider.normalize
    )
    notes = [f"{provider.display_name} cannot {what}." for what in provider.cannot]
    report = SyncReport(steps, broken=broken, notes=notes)
    if not dry_run:
        report.outcomes = apply(steps, provider)
    return report


def apply(steps: list[Step], provider: Provider) -> list[Outcome]:
    """Carry out the writing steps; one issue's failure does not stop the others."""
    outcomes: list[Outcome] = []
    for step in steps:
        if step.action not in WRITES:
            continue
        outcome = Outcome(step)
        try:
            if step.action == "unschedule":
                assert step.remote is not None
                result = provider.pull_back(step.remote)
            else:
                assert step.draft is not None and step.target is not None
                result = provider.push(
                    step.draft, step.target, step.remote, looked=step.remote is None
                )
        except ProviderAuthError:
            raise  # every other request would fail the same way
        except ProviderError as exc:
            outcome.result, outcome.failed = str(exc), True
        else:
            outcome.result, outcome.remote_id, outcome.url = (
                result.action,
                result.remote_id,
                result.url,
            )
        outcomes.append(outcome)
    return outcomes


def describe_time(when: datetime | None, settings: Settings) -> str:
    if when is None:
        return "-"
    utc = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    local = when.astimezone(settings.zone).strftime("%H:%M %Z")
    return f"{utc} ({local})"
