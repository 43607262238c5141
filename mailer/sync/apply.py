"""Carrying out a plan, so that no subscriber ever gets a second email or an unintended one.

    releases, unschedules   first: fewer emails can go out while the run works
    updates                 each read back and compared with what was asked
    creates                 always as a draft carrying the marker; a lost answer means looking
                            again before creating once more
    count                   the listing read again: for each new key, the oldest live email is
                            kept, any other (a run at the same time made it) is released
    bring to target         only now is the kept email scheduled, then read back
    count again             a run that created after our count is caught here

Every run applies the same rule to the same emails, so runs at the same time — the scheduled job
and an editor's laptop — agree on which email is kept. A write the provider did not take
(read back, it is not as asked) is a failed step with the provider's own state in the message;
the next run repairs it.

Within each kind of write, independent issues may be written at once, up to the provider's
documented room (``Provider.concurrency``: Mailchimp 3, listmonk 4, Buttondown and Kit 1). One
issue's steps never overlap, and every phase ends before the next begins, so the rule above is
the same at any setting.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from mailer.core.errors import (
    OutcomeUnknown,
    ProviderAuthError,
    ProviderError,
    ProviderMismatch,
    ProviderUnavailable,
)
from mailer.providers.base import Draft, Provider, RemoteEmail, Target, same_content, same_time
from mailer.sync.plan import WRITES, Step, in_target

_ORDER = {"release": 0, "unschedule": 1, "update": 2, "create": 3}
T = TypeVar("T")
R = TypeVar("R")
CREATE_ATTEMPTS = 3


@dataclass
class Outcome:
    step: Step
    result: str = ""  # created, updated, unscheduled, released, unchanged; or the error
    remote_id: str = ""
    url: str = ""
    state: str = ""  # as read back
    failed: bool = False
    notes: list[str] = field(default_factory=list)  # what else happened, for a person to read

    @property
    def attention(self) -> bool:
        return self.failed or bool(self.notes)


def apply(
    steps: list[Step], provider: Provider, progress: Callable[[int, int], None] | None = None
) -> list[Outcome]:
    """Carry out the writing steps; one issue's failure does not stop the others. `progress`
    hears how many writes are done, of how many.

    A refused key (ProviderAuthError) stops the run: every other request would fail the same
    way."""
    return _Run(provider, progress).carry_out(steps)


class _Run:
    def __init__(
        self, provider: Provider, progress: Callable[[int, int], None] | None = None
    ) -> None:
        self.provider = provider
        self.progress = progress

    def carry_out(self, steps: list[Step]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        created: list[tuple[Outcome, RemoteEmail]] = []
        writes = [s for s in steps if s.action in WRITES]
        # each kind of write finishes before the next begins (releases and unschedules first);
        # within one kind, independent issues may be written at once (Provider.concurrency)
        for action in sorted(_ORDER, key=_ORDER.__getitem__):
            group = [s for s in writes if s.action == action]
            for outcome, made in self._each(group, self._write):
                outcomes.append(outcome)
                if self.progress is not None:
                    self.progress(len(outcomes), len(writes))
                if made is not None:
                    created.append((outcome, made))
        if created:
            self.settle(created)
        return outcomes

    def _write(self, step: Step) -> tuple[Outcome, RemoteEmail | None]:
        """One step's write, read back; a failure is the outcome's, not the run's."""
        outcome = Outcome(step)
        try:
            if step.action == "release":
                assert step.remote is not None
                self.release(step.remote, step.key)
                self._done(outcome, step.remote, "released")
            elif step.action == "unschedule":
                assert step.remote is not None
                self._done(outcome, self.unschedule(step.remote), "unscheduled")
            elif step.action == "update":
                assert step.remote and step.draft and step.target
                email, changed = self.bring(step.remote, step.draft, step.target)
                self._done(outcome, email, "updated" if changed else "unchanged")
            else:
                assert step.draft is not None
                return outcome, self.create(step.draft)
        except ProviderAuthError:
            raise
        except ProviderError as exc:
            outcome.result, outcome.failed = str(exc), True
        return outcome, None

    def _each(self, items: list[T], work: Callable[[T], R]) -> list[R]:
        """`work` on every item, in order: at most `provider.concurrency` at a time. A refused
        key (ProviderAuthError) stops the run once the writes under way have ended."""
        limit = max(1, self.provider.concurrency)
        if limit == 1 or len(items) < 2:
            return [work(item) for item in items]
        pool = ThreadPoolExecutor(max_workers=min(limit, len(items)))
        try:
            futures = [pool.submit(work, item) for item in items]
            return [future.result() for future in futures]
        finally:  # after a refused key, what has not started never starts
            pool.shutdown(wait=True, cancel_futures=True)

    # -- the steps, each read back --------------------------------------------------------------

    def create(self, draft: Draft) -> RemoteEmail:
        """A draft carrying the marker, made once: a lost answer means looking again first."""
        assert draft.html, "a write needs the rendered email (sync.run.with_content)"
        last: ProviderError | None = None
        for _ in range(CREATE_ATTEMPTS):
            try:
                made = self.provider.create(draft)
            except OutcomeUnknown as exc:
                last = exc
                self.provider.http.sleep(1.0)
                found = self._live(draft.key)
                if found:
                    return found[0]  # it was created; the answer just never arrived
                continue
            except ProviderAuthError:
                raise
            except ProviderError:
                # refused: maybe because a run at the same time made it (Buttondown's slugs
                # are unique); if so, that one is ours too
                found = self._live(draft.key)
                if found:
                    return found[0]
                raise
            # read back by the count that follows every create (the listing shows its marker)
            return made
        raise ProviderUnavailable(
            self.provider.display_name,
            f"could not create {draft.key!r}",
            detail=str(last.detail if last else ""),
            hint="nothing was created; run again later",
        )

    def bring(self, email: RemoteEmail, draft: Draft, target: Target) -> tuple[RemoteEmail, bool]:
        """Make `email` hold `draft` in `target` state; (the email read back, whether it wrote)."""
        assert draft.html, "a write needs the rendered email (sync.run.with_content)"
        target = self.provider.normalize(target)
        if email.state == "sent":
            raise ProviderError(
                self.provider.display_name,
                f"already sent {draft.key!r}",
                detail=f"status {email.status}; mailer never changes a sent email",
            )
        if in_target(email, draft, target):
            return email, False
        try:
            self.provider.update(email, draft, target, content=not same_content(email, draft))
        except ProviderAuthError:
            raise
        except ProviderError:
            # refused: perhaps because a run at the same time already made it so. The email as
            # it is now decides; if it is not as asked, the provider's own refusal is the news
            got = self._read(email.id)
            if got.key == draft.key and not got.conflict and in_target(got, draft, target):
                return got, False
            raise
        got = self._read(email.id)
        wrong = (
            got.key != draft.key
            or got.conflict
            or got.state != target.state
            or not same_content(got, draft)
            or (target.state == "scheduled" and not same_time(got.publish_at, target.at))
        )
        if wrong:
            asked = target.state + (f" at {_when(target)}" if target.state == "scheduled" else "")
            raise self._mismatch(draft.key, f"{asked} with the new content", got)
        return got, True

    def unschedule(self, email: RemoteEmail) -> RemoteEmail:
        try:
            self.provider.unschedule(email)
        except ProviderAuthError:
            raise
        except ProviderError:
            if self._read(email.id).state != "draft":  # else: another run unscheduled it
                raise
        got = self._read(email.id)
        if got.state != "draft":
            raise self._mismatch(email.key or email.id, "a draft", got)
        return got

    def release(self, email: RemoteEmail, key: str) -> None:
        try:
            self.provider.release(email, key)
        except ProviderAuthError:
            raise
        except ProviderError:
            got = self._read(email.id)
            if got.state != "draft" or got.key == key:  # else: another run released it
                raise
        got = self._read(email.id)
        if got.state != "draft" or got.key == key:
            raise self._mismatch(key, "a draft marked as a duplicate", got)

    # -- after creating: count, converge, bring to target, count again --------------------------

    def settle(self, created: list[tuple[Outcome, RemoteEmail]]) -> None:
        try:
            listing = self.provider.emails(refresh=True)
        except ProviderError as exc:
            for outcome, email in created:
                self._done(outcome, email, "created as a draft")
                outcome.failed = True
                outcome.result += f"; could not count the emails afterwards ({exc})"
            return

        def bring_to_target(item: tuple[Outcome, RemoteEmail]) -> None:
            outcome, made = item
            step = outcome.step
            assert step.draft is not None and step.target is not None
            try:
                kept = self._converge(outcome, step.key, listing)
                if kept is None:  # not in the listing: read it back on its own
                    kept = self._read(made.id)
                    if kept.key != step.key or not kept.live or kept.conflict:
                        raise self._mismatch(step.key, "a draft carrying mailer's marker", kept)
                email, _ = self.bring(kept, step.draft, step.target)
                mine = kept.id == made.id
                self._done(
                    outcome, email, "created" if mine else "found (a run at the same time made it)"
                )
            except ProviderAuthError:
                raise
            except ProviderError as exc:
                outcome.result, outcome.failed = str(exc), True

        self._each(created, bring_to_target)
        try:
            listing = self.provider.emails(refresh=True)
        except ProviderError as exc:
            for outcome, _ in created:
                outcome.notes.append(f"could not count the emails again ({exc})")
            return
        for outcome, _ in created:
            try:
                self._converge(outcome, outcome.step.key, listing)
            except ProviderError as exc:
                outcome.result, outcome.failed = str(exc), True

    def _converge(
        self, outcome: Outcome, key: str, listing: list[RemoteEmail]
    ) -> RemoteEmail | None:
        """Keep the oldest live email of `key`, release the others; the kept one."""
        live = sorted((e for e in listing if e.key == key and e.live), key=lambda e: e.age)
        for extra in live[1:]:
            self.release(extra, key)
            outcome.notes.append(
                f"{extra.id} was a second live email for {key!r} (a run at the same time?): "
                f"released to a draft; {live[0].id} is kept"
            )
        return live[0] if live else None

    # -- helpers ---------------------------------------------------------------------------------

    def _read(self, remote_id: str) -> RemoteEmail:
        """An email read back after a write, and remembered as it is now."""
        email = self.provider.get(remote_id)
        self.provider.remember(email)
        return email

    def _live(self, key: str) -> list[RemoteEmail]:
        emails = self.provider.emails(refresh=True)
        return sorted((e for e in emails if e.key == key and e.live), key=lambda e: e.age)

    def _mismatch(self, key: str, asked: str, got: RemoteEmail) -> ProviderMismatch:
        have = got.status + (f" at {got.publish_at:%Y-%m-%d %H:%M %Z}" if got.publish_at else "")
        if got.conflict:
            have += f", {got.conflict}"
        elif got.key != key:
            have += (
                f", carrying {'no marker' if got.key is None else 'the marker of ' + repr(got.key)}"
            )
        return ProviderMismatch(
            self.provider.display_name,
            f"did not take the change to {key!r}",
            detail=f"asked for {asked}; read back, {got.id} is {have}",
            hint="nothing else was assumed; the next run tries again",
        )

    @staticmethod
    def _done(outcome: Outcome, email: RemoteEmail, result: str) -> None:
        outcome.result, outcome.remote_id, outcome.url = result, email.id, email.url
        outcome.state = email.state


def _when(target: Target) -> str:
    return f"{target.at:%Y-%m-%d %H:%M %Z}" if target.at else "once possible"
