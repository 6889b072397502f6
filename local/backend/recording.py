"""What the local engine writes to the ledger: what API_CALL_LAMBDA writes on AWS, and more.

The same writes as ``shared.ledger.recorder.AttemptRecorder``: ``start`` before the HTTP
call counts the attempt (its number is the task's attempt count, over all ticks) and marks
a one-time task ``delivering`` (a recurring one stays ``active``), unless the task is
``cancelled`` (then nothing is sent); ``finish`` records the attempt and the task's last
outcome and status (``delivered``/``retrying``/``failed``) in one transaction. A dead letter
marks a one-time task ``failed`` (as the AWS drain does); ``purge`` is the TTL of the
DynamoDB table. No method here raises: a ledger write that fails is logged
(``ledger write failed``) and the delivery goes on as if it had been recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from local.backend.ledger import when
from local.backend.store import LocalStore
from shared.ledger.recorder import STATUS_AFTER, AttemptStart
from shared.ledger.types import AttemptRecord

logger = logging.getLogger("local")


class LedgerRecorder:
    """Record attempts, dead letters and the purge of old history in the local ledger.

    Parameters
    ----------
    store
        The local store (its file holds the ledger tables).
    retention_days
        ``LEDGER_RETENTION_DAYS``.
    clock
        Returns the current time (the purge's "now"; tests inject one).
    """

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

    def _expires(self, moment: datetime) -> float:
        return (moment + self.retention).timestamp()

    def start(self, task_id: str, *, recurring: bool, tick: str) -> AttemptStart:
        """Count the attempt and mark the task ``delivering``; report a cancelled task."""
        try:
            with self.store.transaction() as db:
                row = db.execute(
                    "INSERT INTO ledger_tasks (task_id, kind, status, attempt_count, last_tick)"
                    " VALUES (?, ?, ?, 1, ?) ON CONFLICT (task_id) DO UPDATE SET"
                    " attempt_count = attempt_count + 1, last_tick = excluded.last_tick,"
                    " status = excluded.status WHERE ledger_tasks.status <> 'cancelled'"
                    " RETURNING attempt_count",
                    (
                        task_id,
                        "recurring" if recurring else "one_time",
                        "active" if recurring else "delivering",
                        tick,
                    ),
                ).fetchone()
        except Exception as exc:
            _failed("start_attempt", task_id, exc)
            return AttemptStart(attempt_number=0)
        if row is None:
            return AttemptStart(attempt_number=0, cancelled=True)
        return AttemptStart(attempt_number=int(row[0]))

    def finish(self, attempt: AttemptRecord, *, recurring: bool) -> bool:
        """Write the attempt and the task's outcome; return whether the ledger took it."""
        ended = attempt.outcome in ("delivered", "permanent") and not recurring
        status = None if recurring else STATUS_AFTER.get(attempt.outcome, "failed")
        expires = self._expires(attempt.started_at)
        try:
            with self.store.transaction() as db:
                db.execute(
                    "INSERT OR REPLACE INTO ledger_attempts VALUES"
                    " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        attempt.task_id, attempt.tick, attempt.attempt_number,
                        when(attempt.started_at), attempt.duration_ms, attempt.outcome,
                        attempt.http_status, attempt.error_class, attempt.response_excerpt,
                        attempt.webhook_id, attempt.request_id, expires,
                    ),
                )  # fmt: skip
                db.execute(
                    "UPDATE ledger_tasks SET last_outcome = ?, last_http_status = ?,"
                    " last_error = ?, last_attempt_at = ?, last_tick = ?,"
                    " expires_at = CASE WHEN ? THEN ? ELSE expires_at END,"
                    " status = CASE WHEN ? IS NULL OR status = 'cancelled' THEN status ELSE ? END"
                    " WHERE task_id = ?",
                    (
                        attempt.outcome, attempt.http_status, attempt.error_class,
                        when(attempt.started_at), attempt.tick, ended, expires, status, status,
                        attempt.task_id,
                    ),
                )  # fmt: skip
        except Exception as exc:
            _failed("finish_attempt", attempt.task_id, exc)
            return False
        return True

    def dead_lettered(self, task_id: str, *, now: datetime) -> None:
        """Mark a one-time task ``failed`` (not a cancelled one; a recurring one stays
        ``active``): its call is a dead letter now."""
        try:
            with self.store.transaction() as db:
                db.execute(
                    "UPDATE ledger_tasks SET status = 'failed', expires_at = ? WHERE task_id = ?"
                    " AND kind = 'one_time' AND status <> 'cancelled'",
                    (self._expires(now), task_id),
                )
        except Exception as exc:
            _failed("dead_letter", task_id, exc)

    def purge(self, now: datetime | None = None) -> int:
        """Delete what is past its retention: ended tasks, attempts, dead letters.

        An ended task goes ``LEDGER_RETENTION_DAYS`` after it ended, an attempt that long
        after it started, a dead letter that long after it was recorded (as DynamoDB's TTL
        does on AWS). Returns the number of rows deleted.
        """
        moment = now or self.clock()
        cutoff = moment.timestamp()
        try:
            with self.store.transaction() as db:
                gone = db.execute(
                    "DELETE FROM ledger_tasks WHERE expires_at <= ?", (cutoff,)
                ).rowcount
                gone += db.execute(
                    "DELETE FROM ledger_attempts WHERE expires_at <= ?", (cutoff,)
                ).rowcount
                gone += db.execute(
                    "DELETE FROM dead_letters WHERE created_at <= ?",
                    (cutoff - self.retention.total_seconds(),),
                ).rowcount
        except Exception as exc:
            _failed("purge", None, exc)
            return 0
        if gone:
            logger.info("ledger: %d row(s) past LEDGER_RETENTION_DAYS purged", gone)
        return gone


def _failed(action: str, task_id: str | None, error: BaseException) -> None:
    logger.error(
        "ledger write failed (%s, task %s): %s: %s; the delivery goes on",
        action,
        task_id,
        type(error).__name__,
        str(error)[:300],
    )
