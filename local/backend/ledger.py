"""The task ledger of the local backend: the ``TaskLedger`` port on the store's SQLite file.

The same record as ``shared.ledger.dynamodb.DynamoDBLedger`` keeps on AWS, with the same
transitions (``README``, *Task ledger*): the API records a task at creation and marks it
``cancelled`` (only when it has not ended); the engine records every attempt
(``local.backend.recording``). Tables in ``local.backend.schema.LEDGER_SCHEMA``. Page tokens
are opaque; a token this ledger did not return is an ``InvalidRequestError`` (400).
"""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from local.backend.store import LocalStore, prefix_successor
from shared.exceptions import InvalidRequestError
from shared.ledger.codec import NEXT_TOKEN_MESSAGE
from shared.ledger.types import AttemptPage, AttemptRecord, TaskRecord, TaskRecordPage

_TASK_COLUMNS = (
    "task_id", "kind", "schedule_expression", "timezone", "status", "method", "target_url",
    "created_at", "schedule_arn", "run_at", "first_run_at", "cancelled_at",
    "request_fingerprint", "webhook_id",
)  # fmt: skip
_CREATION = _TASK_COLUMNS[1:4] + _TASK_COLUMNS[5:11] + _TASK_COLUMNS[12:]
_ENDED = ("delivered", "failed", "cancelled")


def when(value: datetime | None) -> str | None:
    """Return a datetime as the ISO text the ledger keeps (DynamoDB keeps the same)."""
    return value.isoformat() if value is not None else None


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class SQLiteLedger:
    """``TaskLedger`` in the local store's SQLite file (thread-safe through the store).

    Parameters
    ----------
    store
        The local store (its file holds the ledger tables).
    retention_days
        ``LEDGER_RETENTION_DAYS``: how long an ended task's history is kept.
    clock
        Returns the current time (tests inject one).
    """

    # A few SQLite statements (~0.1 ms): the API may call the ledger on its event loop.
    nonblocking = True

    def __init__(
        self,
        store: LocalStore,
        retention_days: int,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.retention = timedelta(days=retention_days)
        self.clock = clock or (lambda: datetime.now(UTC))

    def put_task(self, task: TaskRecord) -> TaskRecord | None:
        """Record the task unless its id is taken; return the recorded one when it is.

        A row an attempt created before the task was recorded (no ``created_at``: the engine
        fired before the API's write) gets the creation fields and counts as new.
        """
        values = [getattr(task, name) for name in _TASK_COLUMNS]
        values = [when(v) if isinstance(v, datetime) else v for v in values]
        names = ", ".join(_TASK_COLUMNS)
        fill = ", ".join(f"{name} = excluded.{name}" for name in _CREATION)
        with self.store.transaction() as db:
            changed = db.execute(
                f"INSERT INTO ledger_tasks ({names}) VALUES ({', '.join('?' * len(values))})"  # noqa: S608 - fixed names
                f" ON CONFLICT (task_id) DO UPDATE SET {fill}"
                " WHERE ledger_tasks.created_at IS NULL",
                values,
            ).rowcount
            row = None if changed else _task_row(db, task.task_id)
        return task_of(row) if row is not None else None

    def get_task(self, task_id: str) -> TaskRecord | None:
        """Return the task, or None when the ledger does not know it."""
        rows = self.store.read("SELECT * FROM ledger_tasks WHERE task_id = ?", (task_id,))
        return task_of(rows[0]) if rows else None

    def delete_task(self, task_id: str) -> None:
        """Remove a task whose schedule could not be created (nothing half-created)."""
        with self.store.transaction() as db:
            db.execute("DELETE FROM ledger_tasks WHERE task_id = ?", (task_id,))

    def cancel_task(self, task_id: str, *, now: datetime) -> bool:
        """Mark the task cancelled unless it is unknown, delivered, failed or cancelled."""
        expires = (now + self.retention).timestamp()
        with self.store.transaction() as db:
            return bool(
                db.execute(
                    "UPDATE ledger_tasks SET status = 'cancelled', cancelled_at = ?,"
                    " expires_at = ? WHERE task_id = ? AND status NOT IN (?, ?, ?)",
                    (when(now), expires, task_id, *_ENDED),
                ).rowcount
            )

    def list_tasks(
        self,
        *,
        status: str | None = None,
        prefix: str | None = None,
        page_size: int = 50,
        next_token: str | None = None,
    ) -> TaskRecordPage:
        """Return one page of tasks by id, optionally of one status and id prefix."""
        after = _decode(next_token, "tasks")
        sql = "SELECT * FROM ledger_tasks WHERE task_id >= ?"
        params: list[object] = [prefix or ""]
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        if prefix:
            sql += " AND task_id < ?"
            params.append(prefix_successor(prefix))
        if after is not None:
            if len(after) != 1 or not isinstance(after[0], str):
                raise InvalidRequestError(NEXT_TOKEN_MESSAGE)
            sql += " AND task_id > ?"
            params.append(after[0])
        rows = self.store.read(sql + " ORDER BY task_id LIMIT ?", (*params, page_size + 1))
        tasks = [task_of(row) for row in rows[:page_size]]
        more = len(rows) > page_size
        return TaskRecordPage(tasks, _encode("tasks", tasks[-1].task_id) if more else None)

    def list_attempts(
        self, task_id: str, *, page_size: int = 50, next_token: str | None = None
    ) -> AttemptPage:
        """Return one page of the task's attempts: by tick, then attempt number."""
        after = _decode(next_token, "attempts")
        sql = "SELECT * FROM ledger_attempts WHERE task_id = ?"
        params: list[object] = [task_id]
        if after is not None:
            if len(after) != 3 or after[0] != task_id or not isinstance(after[2], int):
                raise InvalidRequestError(NEXT_TOKEN_MESSAGE)
            sql += " AND (tick > ? OR (tick = ? AND attempt_number > ?))"
            params += [str(after[1]), str(after[1]), int(after[2])]
        rows = self.store.read(
            sql + " ORDER BY tick, attempt_number LIMIT ?", (*params, page_size + 1)
        )
        attempts = [attempt_of(row) for row in rows[:page_size]]
        last = attempts[-1] if len(rows) > page_size else None
        token = _encode("attempts", task_id, last.tick, last.attempt_number) if last else None
        return AttemptPage(attempts, token)


def _task_row(db: sqlite3.Connection, task_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = db.execute(
        "SELECT * FROM ledger_tasks WHERE task_id = ?", (task_id,)
    ).fetchone()
    return row


def task_of(row: sqlite3.Row) -> TaskRecord:
    """Return the task record of a ``ledger_tasks`` row."""
    return TaskRecord(
        task_id=row["task_id"],
        kind="recurring" if row["kind"] == "recurring" else "one_time",
        schedule_expression=row["schedule_expression"],
        timezone=row["timezone"],
        status=row["status"],
        method=row["method"],
        target_url=row["target_url"],
        created_at=_when(row["created_at"]) or datetime.fromtimestamp(0, UTC),
        schedule_arn=row["schedule_arn"],
        run_at=_when(row["run_at"]),
        first_run_at=_when(row["first_run_at"]),
        cancelled_at=_when(row["cancelled_at"]),
        request_fingerprint=row["request_fingerprint"],
        webhook_id=row["webhook_id"],
        attempt_count=row["attempt_count"],
        last_outcome=row["last_outcome"],
        last_http_status=row["last_http_status"],
        last_error=row["last_error"],
        last_attempt_at=_when(row["last_attempt_at"]),
        last_tick=row["last_tick"],
    )


def attempt_of(row: sqlite3.Row) -> AttemptRecord:
    """Return the attempt record of a ``ledger_attempts`` row."""
    return AttemptRecord(
        task_id=row["task_id"],
        tick=row["tick"],
        attempt_number=row["attempt_number"],
        started_at=datetime.fromisoformat(row["started_at"]),
        duration_ms=row["duration_ms"],
        outcome=row["outcome"],
        http_status=row["http_status"],
        error_class=row["error_class"],
        response_excerpt=row["response_excerpt"],
        webhook_id=row["webhook_id"],
        request_id=row["request_id"],
    )


def _encode(kind: str, *key: Any) -> str:
    text = json.dumps({"ledger": kind, "after": list(key)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(token: str | None, kind: str) -> list[Any] | None:
    """Return the key a token of ``kind`` names; any other string is the client's error."""
    if token is None:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error):
        raise InvalidRequestError(NEXT_TOKEN_MESSAGE) from None
    after = value.get("after") if isinstance(value, dict) else None
    valid = (
        isinstance(value, dict)
        and value.get("ledger") == kind
        and isinstance(after, list)
        and bool(after)
        and all(isinstance(part, str | int) and not isinstance(part, bool) for part in after)
    )
    if not valid:
        raise InvalidRequestError(NEXT_TOKEN_MESSAGE)
    return list(after)  # type: ignore[arg-type]
