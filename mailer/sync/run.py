"""``mailer sync``, ``push`` and ``test-send --via provider``: load, gate, plan, carry out.

    issues ─ load and render (check rules too: the gate) ─┐
    provider ─ list every email ─ reveal hidden markers ──┴─ plan (pure) ─ apply (verified)

A run that cannot read the provider, or whose plan or writes need a person, says so in its
report and fails (exit 1); the report is written either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from mailer.build.gatecache import gate_key, recall_errors, remember_errors
from mailer.checks.process import process
from mailer.core.config import Settings
from mailer.core.errors import IssueError, MailerError, ProviderAuthError, ProviderError
from mailer.core.finding import Finding
from mailer.issue import batch
from mailer.issue.load import Issue, load_issue
from mailer.providers.base import Draft, Provider, PushResult, RemoteEmail, State, Target
from mailer.render.pipeline import Rendered
from mailer.sync.apply import Outcome, apply
from mailer.sync.plan import LEAD, WRITES, Step, Wanted, plan_sync


@dataclass
class SyncReport:
    steps: list[Step]
    outcomes: list[Outcome] = field(default_factory=list)
    broken: list[tuple[Path, MailerError]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the provider cannot take, said once
    held: list[Finding] = field(default_factory=list)  # check errors that kept issues drafts
    error: ProviderError | None = None  # the provider could not be read: nothing was planned

    @property
    def failed(self) -> bool:
        return (
            bool(self.broken)
            or self.error is not None
            or any(step.attention for step in self.steps)
            or any(outcome.attention for outcome in self.outcomes)
        )


def draft_of(rendered: Rendered) -> Draft:
    """The provider-facing form of a rendered issue."""
    return Draft(
        key=rendered.issue.slug,
        subject=rendered.subject,
        preheader=rendered.preheader,
        html=rendered.html,
        body_html=rendered.body_html,
        text=rendered.text,
        content_hash=rendered.content_hash,
        source=rendered.issue.path,
    )


@dataclass
class Loaded:
    wanted: list[Wanted]
    broken: list[tuple[Path, MailerError]]
    held: list[Finding]


def wanted_one(
    source: Path, settings: Settings, allow_errors: bool
) -> tuple[Wanted, list[Finding]]:
    """One issue as sync wants it (a batch task): a draft at most when the gate finds errors,
    unless allowed. When the gate's answer for this exact input is remembered (gatecache.py),
    nothing is rendered: the plan needs only the file's key, times and content hash, and a
    step that writes renders its issue then (`with_content`)."""
    key = gate_key(source, settings)
    remembered = recall_errors(key, source, settings) if key else None
    if remembered is not None:
        issue = load_issue(source, settings)
        draft = hollow_draft(issue, remembered.content_hash)
        errors = list(remembered.errors)
    else:
        rendered = process(source, settings)
        errors = [f for f in rendered.findings if f.severity == "error"]
        if key:
            remember_errors(key, source, settings, errors, rendered)
        issue, draft = rendered.issue, draft_of(rendered)
    if not errors or allow_errors:
        return Wanted(issue, draft), []
    reason = (
        f"{len(errors)} check error{'s' if len(errors) > 1 else ''} "
        f"(see mailer check {source}; --allow-errors overrides)"
    )
    return Wanted(issue, draft, held=reason), errors


def hollow_draft(issue: Issue, content_hash: str) -> Draft:
    """A draft with everything the plan reads and no content yet (an empty `html`)."""
    return Draft(
        key=issue.slug,
        subject=issue.subject,
        preheader=issue.preheader,
        html="",
        body_html="",
        text="",
        content_hash=content_hash,
        source=issue.path,
    )


def with_content(step: Step, settings: Settings) -> Step:
    """A step that writes, with its draft rendered (when the plan was made without)."""
    if step.action not in WRITES or step.draft is None or step.draft.html:
        return step
    draft = draft_of(process(step.draft.source, settings, gate=False))
    if draft.content_hash != step.draft.content_hash:
        raise IssueError(
            step.draft.source, "the file changed while sync was running: run sync again"
        )
    return replace(step, draft=draft)


def load_for_sync(paths: list[Path], settings: Settings, *, allow_errors: bool = False) -> Loaded:
    """Every issue rendered with its check rules; the ones that fail to load are kept apart,
    never skipped silently."""
    loaded = Loaded([], [], [])
    for outcome in batch.run_paths(wanted_one, paths, settings, allow_errors, empty_ok=True):
        if outcome.value is not None:
            want, held = outcome.value
            loaded.wanted.append(want)
            loaded.held.extend(held)
        elif outcome.error is not None:
            loaded.broken.append((outcome.source, outcome.error))
    return loaded


def sync(
    paths: list[Path],
    settings: Settings,
    provider: Provider,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    allow_errors: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> SyncReport:
    """Plan, then (unless a dry run) carry out the plan; `progress` hears of each write."""
    now = now or datetime.now(UTC)
    loaded = load_for_sync(paths, settings, allow_errors=allow_errors)
    notes = [f"{provider.display_name} cannot {what}." for what in provider.cannot]
    report = SyncReport([], broken=loaded.broken, notes=notes, held=loaded.held)
    # only whole folders can say an issue was removed or renamed; and not if any issue failed
    # to load, since its key is unknown and it must not be taken for a removed one
    complete = all(p.is_dir() for p in paths) and not loaded.broken
    try:
        remotes = provider.emails(refresh=True)
        if any(step_creates(w, remotes) for w in loaded.wanted):
            remotes = provider.reveal(remotes)  # a renamed email of ours must not look absent
    except ProviderAuthError:
        raise
    except ProviderError as exc:
        report.error = exc
        return report
    report.steps = plan_sync(
        loaded.wanted, remotes, settings, now, complete=complete, normalize=provider.normalize
    )
    # the errors that kept an issue from going out; a draft's or a past issue's hold nothing
    held = {step.source for step in report.steps if step.held}
    report.held = [finding for finding in loaded.held if finding.path in held]
    if not dry_run:
        steps: list[Step] = []
        for step in report.steps:
            try:
                steps.append(with_content(step, settings))
            except MailerError as exc:  # not written: the run fails and says why
                report.broken.append((step.source or Path(step.key), exc))
                steps.append(replace(step, action="none", reason=exc.message, attention=True))
        report.steps = steps
        report.outcomes = apply(report.steps, provider, progress)
    return report


def step_creates(want: Wanted, remotes: list[RemoteEmail]) -> bool:
    """Whether the plain listing shows nothing for this issue (a create would be planned)."""
    return not any(email.key == want.draft.key for email in remotes)


def push_target(
    issue: Issue,
    settings: Settings,
    *,
    as_draft: bool = False,
    at: datetime | None = None,
    now: datetime | None = None,
) -> Target:
    """Where `mailer push` puts an issue: a draft, a given time (a time without a zone is the
    newsletter's), or its own send time."""
    now = now or datetime.now(UTC)
    if as_draft or issue.draft:
        return Target("draft")
    when = issue.send_at
    if at is not None:
        when = at if at.tzinfo else at.replace(tzinfo=settings.zone)
    if when <= now + LEAD:
        raise IssueError(
            issue.path,
            f"the send time {describe_time(when, settings)} is not in the future: choose a "
            "later one, or push it as a draft (mailer never sends at once)",
        )
    return Target("scheduled", when)


def push(
    rendered: Rendered,
    target: Target,
    settings: Settings,
    provider: Provider,
    *,
    allow_errors: bool = True,
    now: datetime | None = None,
) -> PushResult:
    """One issue to the provider, in `target` state, with sync's plan and checks."""
    now = now or datetime.now(UTC)
    draft = draft_of(rendered)
    errors = [f for f in rendered.findings if f.severity == "error"]
    held = "" if allow_errors or not errors else f"{len(errors)} check error(s)"
    want = Wanted(rendered.issue, draft, held=held, fixed=target)
    remotes = provider.emails(refresh=True)
    if step_creates(want, remotes):
        remotes = provider.reveal(remotes)
    steps = plan_sync([want], remotes, settings, now, complete=False, normalize=provider.normalize)
    step = next(s for s in steps if s.key == draft.key)
    if step.action in ("sent", "sent-changed"):
        assert step.remote is not None
        raise ProviderError(
            provider.display_name,
            f"already sent {draft.key!r}",
            detail=f"status {step.remote.status}; mailer never changes a sent email",
        )
    if step.action == "refused":
        raise ProviderError(
            provider.display_name, f"will not push {draft.key!r}", detail=step.reason
        )
    outcomes = apply(steps, provider)
    failed = [o for o in outcomes if o.failed]
    if failed:
        raise ProviderError(
            provider.display_name, f"did not finish {draft.key!r}", detail=failed[0].result
        )
    mine = next((o for o in outcomes if o.step is step), None)
    if mine is not None:
        state: State = "scheduled" if mine.state == "scheduled" else "draft"
        return PushResult(provider.name, mine.remote_id, mine.result, mine.url, state)
    assert step.remote is not None  # nothing to write: it is already there, as asked
    return PushResult(
        provider.name, step.remote.id, "unchanged", step.remote.url, step.remote.state
    )


def test_send_via_provider(
    provider: Provider, rendered: Rendered, settings: Settings, recipients: list[str]
) -> PushResult:
    """Bring the provider's copy up to date as sync would, then test-send it.

    Never schedules: a draft stays a draft, a scheduled email keeps its time."""
    draft = draft_of(rendered)
    current = provider.find(draft.key)
    if current is not None and current.state == "sent":
        raise ProviderError(
            provider.display_name,
            f"already sent {draft.key!r}",
            detail="test-send it by SMTP instead",
        )
    target = Target("draft")
    if current is not None and current.state == "scheduled":
        if current.publish_at is None:
            raise ProviderError(
                provider.display_name,
                f"shows {draft.key!r} as scheduled without saying when",
                hint="test-send it by SMTP, or unschedule it first",
            )
        target = Target("scheduled", current.publish_at)
    result = push(rendered, target, settings, provider, allow_errors=True)
    email = provider.find(draft.key, refresh=True)
    assert email is not None
    provider.send_test(email, recipients)
    return result


def describe_time(when: datetime | None, settings: Settings) -> str:
    if when is None:
        return "-"
    utc = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    local = when.astimezone(settings.zone).strftime("%H:%M %Z")
    return f"{utc} ({local})"
