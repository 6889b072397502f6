"""The scheduling port: what the API needs from any scheduling backend.

Adapters: ``shared.scheduling.eventbridge.EventBridgeScheduler`` (production) and
``local.backend`` (a laptop with no AWS account; never imported by production code).
Every method raises only errors from ``shared.exceptions``. Methods are synchronous and may
block on the network (boto3); an adapter whose methods never block may say so with a class
attribute ``nonblocking = True`` and the API then calls it on the event loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # annotations only: the API's cold start does not import the types
    from shared.scheduling.types import OneTimeTaskSpec, RecurringTaskSpec, ScheduledTask, TaskPage

MAX_PAGE_SIZE = 100


class TaskScheduler(Protocol):
    """Create, inspect, list and cancel deferred HTTP calls."""

    def create_one_time(self, spec: OneTimeTaskSpec) -> ScheduledTask:
        """Create a task that runs once; raise a domain error on invalid input."""
        ...

    def create_recurring(self, spec: RecurringTaskSpec) -> ScheduledTask:
        """Create a task that runs on a cron/rate expression in a time zone."""
        ...

    def get(self, task_id: str) -> ScheduledTask:
        """Return the task; raise ``TaskNotFoundError`` when unknown."""
        ...

    def list(
        self,
        *,
        name_prefix: str | None = None,
        page_size: int = 50,
        next_token: str | None = None,
    ) -> TaskPage:
        """Return one page of tasks whose id starts with ``name_prefix``."""
        ...

    def cancel(self, task_id: str) -> None:
        """Delete the task; raise ``TaskNotFoundError`` when unknown."""
        ...
