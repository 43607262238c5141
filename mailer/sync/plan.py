"""The plan: from the repository and the provider's listing to steps. Pure: no network, no clock.

The repository is the desired state. For each issue key, with *live* meaning a draft or
scheduled email that carries mailer's marker for that key:

| repository says                   | provider has               | step                          |
|-----------------------------------|----------------------------|-------------------------------|
| future, not a draft               | nothing                    | create, scheduled at the send |
|                                   |                            | time (a draft if auto_schedule|
|                                   |                            | is off)                       |
| draft: true                       | nothing                    | create as a draft             |
| content or time changed           | one live email             | update it                     |
| draft: true, or the file is gone  | scheduled                  | unschedule (back to draft)    |
| past, never pushed                | nothing                    | nothing: reported, not sent   |
|                                   |                            | (scheduled soon within grace) |
| anything                          | sent / on its way          | never touched; warned if the  |
|                                   |                            | file changed since            |
| anything                          | two or more live emails    | the oldest is kept, the others|
|                                   |                            | are released to drafts        |
| anything                          | a live copy of a sent one  | released, if it is scheduled  |
| two files with one key, or a file | anything                   | refused: nothing written for  |
| named twice                       |                            | that key                      |
| anything                          | an email whose two markers | refused                       |
|                                   | name different issues      |                               |
| new, while a live email of a key  | —                          | refused as a likely rename,   |
| with no file has its subject/time |                            | unless the run sees all issues|
| future, with `mailer check` errors| —                          | a draft at most (held)        |
| (not a draft)                     |                            |                               |
| no issue file at all              | scheduled                  | unschedule: the folder may be |
|                                   |                            | the wrong one                 |

Every refusal, release and hold needs a person: the run exits 1 (``Step.attention``); so does
a run that finds no issue file at all and unschedules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from mailer.core.config import Settings
from mailer.issue.load import Issue
from mailer.providers.base import Draft, RemoteEmail, Target, same_content, same_time

LEAD = timedelta(minutes=2)  # the soonest we schedule: providers refuse times in the past

Action = Literal[
    "create",
    "update",
    "unschedule",
    "release",
    "none",
    "sent",
    "sent-changed",
    "past",
    "refused",
]
WRITES = frozenset({"create", "update", "unschedule", "release"})


@dataclass(frozen=True)
class Wanted:
    """One issue as sync wants it at the provider."""

    issue: Issue
    draft: Draft
    held: str = ""  # why it may be a draft at most (its check errors); "" when it may go out
    fixed: Target | None = None  # a target chosen by hand (mailer push), instead of the date


@dataclass(frozen=True)
class Step:
    """What sync will do (or did not need to do) for one issue key, or one email."""

    key: str
    action: Action
    reason: str
    source: Path | None = None
    send_at: datetime | None = None
    target: Target | None = None
    remote: RemoteEmail | None = None
    draft: Draft | None = None
    attention: bool = False  # a person should look: the run exits 1 even if every write works
    held: bool = False  # its check errors keep it from going out (a draft at most)


def desired(issue: Issue, settings: Settings, now: datetime) -> Target | None:
    """Where an issue should be at the provider now; None: in the past, must not be sent."""
    if issue.draft:
        return Target("draft")
    if issue.send_at > now + LEAD:
        return Target("scheduled", issue.send_at) if settings.auto_schedule else Target("draft")
    if now - issue.send_at <= timedelta(minutes=settings.grace_minutes):
        return Target("scheduled", None)  # overdue but within grace: as soon as possible
    return None


def in_target(remote: RemoteEmail, draft: Draft, target: Target) -> bool:
    """The email already holds this content in this state (at this time), marked whole."""
    if remote.repair or not same_content(remote, draft) or remote.state != target.state:
        return False
    return (
        target.state != "scheduled" or target.at is None or same_time(remote.publish_at, target.at)
    )


def plan_sync(
    wanted: Iterable[Wanted],
    remotes: Iterable[RemoteEmail],
    settings: Settings,
    now: datetime,
    *,
    complete: bool,
    normalize: Callable[[Target], Target] = lambda target: target,
) -> list[Step]:
    """The steps that make the provider match the repository.

    `complete` says the run sees every issue (whole folders, none failed to load): only then is
    a key without a file an issue that was removed or renamed. `normalize` puts a target on the
    provider's grid (Mailchimp's quarter hours), so a rounded schedule in place is up to date.
    """
    remotes = list(remotes)
    groups: dict[str, list[Wanted]] = {}
    for want in wanted:
        groups.setdefault(want.draft.key, []).append(want)
    by_key: dict[str, list[RemoteEmail]] = {}
    for email in remotes:
        if email.key:
            by_key.setdefault(email.key, []).append(email)
    conflicts: dict[str, list[RemoteEmail]] = {}
    for email in remotes:
        for key in email.claims:
            conflicts.setdefault(key, []).append(email)

    steps: list[Step] = []
    kept: dict[str, RemoteEmail] = {}  # each key's email after releases
    for key, found in sorted(by_key.items()):
        if len(groups.get(key, [])) > 1 or key in conflicts:
            continue  # refused below: nothing is written for this key
        live = sorted((e for e in found if e.live), key=lambda e: e.age)
        sent = [e for e in found if e.state == "sent"]
        if sent:
            for copy in live:
                if copy.state == "scheduled":
                    steps.append(
                        Step(
                            key,
                            "release",
                            f"a second email for an issue already {sent[0].status} "
                            f"({sent[0].id}): back to a draft",
                            remote=copy,
                            attention=True,
                        )
                    )
            kept[key] = sent[0]
            continue
        for extra in live[1:]:
            steps.append(
                Step(
                    key,
                    "release",
                    f"a second live email for this issue ({live[0].id}, the oldest, is kept): "
                    "back to a draft, marked as a duplicate",
                    remote=extra,
                    attention=True,
                )
            )
        if live:
            kept[key] = live[0]

    for key, group in groups.items():
        if len(group) > 1:
            steps.extend(_refuse_twice(key, group))
            continue
        want = group[0]
        if key in conflicts:
            email = conflicts[key][0]
            steps.append(
                _refused(
                    want,
                    f"{email.id} is ambiguous: {email.conflict}; put its name back, or delete "
                    "it, then run again",
                )
            )
            continue
        step = _decide(want, kept.get(key), settings, now, normalize)
        if step.action == "create" and not complete:
            moved = _renamed_from(want, step.target, remotes, set(groups))
            if moved is not None:
                step = _refused(
                    want,
                    f"looks like a rename of {moved.key!r} ({moved.id}, same subject and time): "
                    f"set 'slug: {moved.key}' in {want.issue.path.name}, or remove the old "
                    "email, then run again",
                )
        steps.append(step)

    if complete:
        # with no issue file at all, the folder may be the wrong one (issues moved): unscheduled
        # is the safe side, and a person should look
        gone = "its issue file is gone" if groups else "there are no issue files at all"
        for key, email in sorted(kept.items(), key=lambda item: item[0]):
            if key not in groups and email.state == "scheduled":
                steps.append(
                    Step(
                        key,
                        "unschedule",
                        f"{gone}: back to draft",
                        remote=email,
                        attention=not groups,
                    )
                )
    return steps


def _decide(
    want: Wanted,
    remote: RemoteEmail | None,
    settings: Settings,
    now: datetime,
    normalize: Callable[[Target], Target],
) -> Step:
    issue, draft = want.issue, want.draft
    target = want.fixed or desired(issue, settings, now)
    late = want.fixed is None and target is not None and target.state == "scheduled"
    late = late and target is not None and target.at is None
    if late:
        # overdue within grace: keep a future schedule it already has, else as soon as possible
        at = now + LEAD
        if remote is not None and remote.state == "scheduled" and remote.publish_at:
            at = remote.publish_at if remote.publish_at > now else at
        target = Target("scheduled", at)
    held = ""
    if target is not None and target.state == "scheduled" and want.held:
        target, held = Target("draft"), f"; held as a draft: {want.held}"
    if target is not None:
        target = normalize(target)

    def step(action: Action, reason: str) -> Step:
        return Step(
            draft.key,
            action,
            reason + held,
            issue.path,
            issue.send_at,
            target,
            remote,
            draft,
            attention=bool(held),
            held=bool(held),
        )

    if remote is None:
        if target is None:
            return step("past", "dated in the past and never pushed: not sent")
        return step(
            "create",
            f"new: {target.state}" + (" (late, within the grace window)" if late else ""),
        )
    if remote.state == "sent":
        if remote.content_hash and not same_content(remote, draft):
            return step("sent-changed", f"already {remote.status}; the file changed since")
        return step("sent", f"already {remote.status}")
    if target is None:
        if remote.state == "scheduled":
            return step("unschedule", "dated in the past: unscheduled, not sent")
        return step("none", "dated in the past; left as a draft")
    if in_target(remote, draft, target):
        return step("none", f"up to date ({remote.state})")
    what = []
    if remote.repair:
        what.append("its marker was edited in the web app: putting it back")
    if not same_content(remote, draft):
        what.append("content changed")
    if remote.state != target.state:
        what.append(f"{remote.state} → {target.state}")
    elif target.state == "scheduled":
        what.append("new send time")
    return step("update", ", ".join(what) or "out of date")


def _refused(want: Wanted, reason: str) -> Step:
    return Step(
        want.draft.key,
        "refused",
        reason,
        want.issue.path,
        want.issue.send_at,
        draft=want.draft,
        attention=True,
    )


def _refuse_twice(key: str, group: list[Wanted]) -> list[Step]:
    paths = [want.issue.path for want in group]
    if len({path.resolve() for path in paths}) == 1:
        reason = f"{paths[0]} is named more than once: name it once"
    else:
        names = ", ".join(str(path) for path in paths)
        reason = f"{len(paths)} files have the key {key!r} ({names}): give each its own 'slug:'"
    return [_refused(want, reason) for want in group]


def _renamed_from(
    want: Wanted, target: Target | None, remotes: list[RemoteEmail], local_keys: set[str]
) -> RemoteEmail | None:
    """A live email of a key this run has no file for, with this issue's subject and time."""
    for email in remotes:
        if not email.live or email.key is None or email.key in local_keys:
            continue
        if email.subject.strip() != want.draft.subject.strip():
            continue
        if email.state == "draft" or target is None or target.state == "draft":
            return email
        if same_time(email.publish_at, target.at):
            return email
    return None
