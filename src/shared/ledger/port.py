"""The ledger port: what the API needs from the record of tasks and attempts.

Adapter: ``shared.ledger.dynamodb.DynamoDBLedger`` (AWS). Methods are synchronous, may
block on the network and raise only errors from ``shared.exceptions``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from shared.ledger.types import AttemptPage, TaskRecord, TaskRecordPage


class TaskLedger(Protocol):
    """Record tasks, read them back, and page through their attempts."""

    def put_task(self, task: TaskRecord) -> TaskRecord | None:
        """Record a new task; return the task already recorded under its id instead, if any."""
        ...

    def get_task(self, task_id: str) -> TaskRecord | None:
        """Return the task, or None when the ledger does not know it."""
        ...

    def delete_task(self, task_id: str) -> None:
        """Remove a task whose schedule could not be created (nothing half-created)."""
        ...

    def cancel_task(self, task_id: str, *, now: datetime) -> bool:
        """Mark a task ``cancelled``; False when it is unknown or has ended already."""
        ...

    def list_tasks(
        self,
        *,
        status: str | None = None,
        prefix: str | None = None,
        page_size: int = 50,
        next_token: str | None = None,
    ) -> TaskRecordPage:
        """Return one page of tasks (by id), optionally only one status and id prefix."""
        ...

    def list_attempts(
        self, task_id: str, *, page_size: int = 50, next_token: str | None = None
    ) -> AttemptPage:
        """Return one page of a task's attempts in order."""
        ...
