"""A create worked out before any AWS call, for a backend that can say what it will return.

``LedgeredScheduler`` records a task in the ledger *while* its schedule is created (two
threads) only when the scheduling backend can give the created task in advance: its id,
expression, call (with its nonce, hence its ``webhook-id``), creation time, next tick and
ARN. The EventBridge adapter can (``plan_one_time``/``plan_recurring`` then ``submit``); a
backend that cannot is used one step after the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from shared.scheduling.types import OneTimeTaskSpec, RecurringTaskSpec, ScheduledTask


@dataclass(frozen=True)
class PlannedTask:
    """The task a create will return, and what the backend needs to make it.

    ``task.arn`` is the ARN the schedule will have, or ``""`` when the backend cannot tell
    yet (then nothing may be recorded before the schedule exists). ``submission`` is the
    backend's own (opaque to everyone else).
    """

    task: ScheduledTask
    submission: Any


@runtime_checkable
class PlanningScheduler(Protocol):
    """A scheduling backend whose creates can be planned, then submitted."""

    def plan_one_time(self, spec: OneTimeTaskSpec) -> PlannedTask:
        """Validate ``spec`` and return the task ``submit`` will create (no AWS call)."""
        ...

    def plan_recurring(self, spec: RecurringTaskSpec) -> PlannedTask:
        """Validate ``spec`` and return the task ``submit`` will create (no AWS call)."""
        ...

    def submit(self, plan: PlannedTask) -> ScheduledTask:
        """Create the planned schedule; return ``plan.task`` with its ARN (or the existing
        task for a replayed ``client_token``), raising as ``create_*`` does."""
        ...
