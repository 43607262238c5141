"""Sync: make the provider match the repository, safely and repeatably.

``plan.py`` decides (pure), ``apply.py`` carries out and verifies, ``run.py`` ties them to the
issues and the provider, ``report.py`` says what happened.
"""

from __future__ import annotations

from mailer.sync.apply import Outcome, apply
from mailer.sync.plan import LEAD, WRITES, Step, Wanted, desired, plan_sync
from mailer.sync.run import (
    SyncReport,
    describe_time,
    draft_of,
    load_for_sync,
    push,
    push_target,
    sync,
    test_send_via_provider,
)

__all__ = [
    "LEAD",
    "WRITES",
    "Outcome",
    "Step",
    "SyncReport",
    "Wanted",
    "apply",
    "describe_time",
    "desired",
    "draft_of",
    "load_for_sync",
    "plan_sync",
    "push",
    "push_target",
    "sync",
    "test_send_via_provider",
]
