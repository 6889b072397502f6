"""What the local engine writes to the ledger: what API_CALL_LAMBDA writes on AWS, and more.

The same writes as ``shared.ledger.recorder.AttemptRecorder``: the *start* of an attempt
counts it (its number is the task's attempt count, over all ticks) and marks a one-time task
``delivering`` (a recurring one stays ``active``), unless the task is ``cancelled`` (then
nothing is sent); the *finish* records the attempt and the task's last outcome and status
(``delivered``/``retrying``/``failed``). A dead letter marks a one-time task ``failed`` (as
the AWS drain does); ``purge`` is the TTL of the DynamoDB table.

The engine does not commit per attempt: it reads whether the ledger says ``cancelled`` with
its check that the run still exists (one read), ``begin`` queues the start, ``end`` and
``dead_lettered_later`` queue theirs, and
``flush`` (every 20 ms, with the engine's completions) applies what is queued, in order, in
one transaction — two commits per delivery cost more CPU than the delivery itself. The
immediate methods (``start``, ``finish``, ``dead_lettered``) write at once. Nothing here
raises: a ledger write that fails is logged (``ledger write failed``) and the delivery goes on
as if it had been recorded.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from local.backend.ledger import when
from local.backend.store import LocalStore
from shared.ledger.recorder import STATUS_AFTER, AttemptStart
from shared.ledger.types import AttemptRecord

logger = logging.getLogger("local")
Write = Callable[[sqlite3.Connection], object]


@dataclass
class PendingAttempt:
    """An attempt whose start is queued; its number is known once the start is written."""

    task_id: str
    recurring: bool
    tick: str
    attempt_number: int = 0


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
        self._queued: list[tuple[str, str | None, Write]] = []
        self._lock = threading.Lock()

    def _expires(self, moment: datetime) -> float:
        return (moment + self.retention).timestamp()

    # --- immediate writes --------------------------------------------------------------------

    def start(self, task_id: str, *, recurring: bool, tick: str) -> AttemptStart:
        """Count the attempt and mark the task ``delivering``; report a cancelled task."""
        pending = PendingAttempt(task_id, recurring, tick)
        try:
            with self.store.transaction() as db:
                counted = self._start(db, pending)
        except Exception as exc:
            _failed("start_attempt", task_id, exc)
            return AttemptStart(attempt_number=0)
        return AttemptStart(attempt_number=pending.attempt_number, cancelled=not counted)

    def finish(self, attempt: AttemptRecord, *, recurring: bool) -> bool:
        """Write the attempt and the task's outcome; return whether the ledger took it."""
        try:
            with self.store.transaction() as db:
                self._finish(db, attempt, recurring)
        except Exception as exc:
            _failed("finish_attempt", attempt.task_id, exc)
            return False
        return True

    def dead_lettered(self, task_id: str, *, now: datetime, dl_id: str | None = None) -> None:
        """Mark a one-time task ``failed``: its call is a dead letter (``dl_id``, when given,
        must still be listed). A cancelled task stays so; a recurring one stays ``active``."""
        try:
            with self.store.transaction() as db:
                self._dead_lettered(db, task_id, now, dl_id)
        except Exception as exc:
            _failed("dead_letter", task_id, exc)

    # --- the engine's queued writes ----------------------------------------------------------

    def begin(self, task_id: str, *, recurring: bool, tick: str) -> PendingAttempt:
        """Return the attempt to record, its start queued (the engine checked just before
        that the ledger does not say ``cancelled``: ``LocalStore.run_and_ledger_state``)."""
        pending = PendingAttempt(task_id, recurring, tick)
        self._queue("start_attempt", task_id, lambda db: self._start(db, pending, force=True))
        return pending

    def end(self, pending: PendingAttempt, attempt: AttemptRecord) -> None:
        """Queue the attempt's outcome (its number is the one its start got)."""
        self._queue(
            "finish_attempt",
            pending.task_id,
            lambda db: self._finish(
                db, replace(attempt, attempt_number=pending.attempt_number), pending.recurring
            ),
        )

    def dead_lettered_later(self, task_id: str, *, now: datetime, dl_id: str) -> None:
        """Queue ``dead_lettered`` (after the attempts queued before it)."""
        self._queue("dead_letter", task_id, lambda db: self._dead_lettered(db, task_id, now, dl_id))

    @property
    def queued(self) -> int:
        """Writes waiting for ``flush``."""
        return len(self._queued)

    def flush(self) -> None:
        """Apply the queued writes in order, in one transaction; a failing one is logged and
        skipped (the others are kept)."""
        with self._lock:
            queued, self._queued = self._queued, []
        if not queued:
            return
        try:
            with self.store.transaction() as db:
                for action, task_id, write in queued:
                    try:
                        write(db)
                    except sqlite3.Error as exc:  # the statement is undone, not the others
                        _failed(action, task_id, exc)
        except Exception as exc:
            _failed(f"{len(queued)} queued write(s)", None, exc)

    def _queue(self, action: str, task_id: str, write: Write) -> None:
        with self._lock:
            self._queued.append((action, task_id, write))

    # --- the statements ----------------------------------------------------------------------

    def _start(self, db: sqlite3.Connection, pending: PendingAttempt, force: bool = False) -> bool:
        """Count the attempt (its number goes to ``pending``); False: the task is cancelled
        (not counted, unless ``force``: the call was already sent)."""
        status = "active" if pending.recurring else "delivering"
        row = db.execute(
            "INSERT INTO ledger_tasks (task_id, kind, status, attempt_count, last_tick)"
            " VALUES (?, ?, ?, 1, ?) ON CONFLICT (task_id) DO UPDATE SET"
            " attempt_count = attempt_count + 1, last_tick = excluded.last_tick,"
            " status = CASE status WHEN 'cancelled' THEN status ELSE excluded.status END"
            " WHERE ledger_tasks.status <> 'cancelled' OR ?"
            " RETURNING attempt_count",
            (pending.task_id, "recurring" if pending.recurring else "one_time", status,
             pending.tick, force),
        ).fetchone()  # fmt: skip
        if row is None:
            return False
        pending.attempt_number = int(row[0])
        return True

    def _finish(self, db: sqlite3.Connection, attempt: AttemptRecord, recurring: bool) -> None:
        ended = attempt.outcome in ("delivered", "permanent") and not recurring
        status = None if recurring else STATUS_AFTER.get(attempt.outcome, "failed")
        expires = self._expires(attempt.started_at)
        db.execute(
            "INSERT OR REPLACE INTO ledger_attempts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (attempt.task_id, attempt.tick, attempt.attempt_number, when(attempt.started_at),
             attempt.duration_ms, attempt.outcome, attempt.http_status, attempt.error_class,
             attempt.response_excerpt, attempt.webhook_id, attempt.request_id, expires),
        )  # fmt: skip
        db.execute(
            "UPDATE ledger_tasks SET last_outcome = ?, last_http_status = ?, last_error = ?,"
            " last_attempt_at = ?, last_tick = ?,"
            " expires_at = CASE WHEN ? THEN ? ELSE expires_at END,"
            " status = CASE WHEN ? IS NULL OR status = 'cancelled' THEN status ELSE ? END"
            " WHERE task_id = ?",
            (attempt.outcome, attempt.http_status, attempt.error_class,
             when(attempt.started_at), attempt.tick, ended, expires, status, status,
             attempt.task_id),
        )  # fmt: skip

    def _dead_lettered(
        self, db: sqlite3.Connection, task_id: str, now: datetime, dl_id: str | None
    ) -> None:
        db.execute(
            "UPDATE ledger_tasks SET status = 'failed', expires_at = ? WHERE task_id = ?"
            " AND kind = 'one_time' AND status <> 'cancelled'"
            " AND (? IS NULL OR EXISTS (SELECT 1 FROM dead_letters WHERE dl_id = ?))",
            (self._expires(now), task_id, dl_id, dl_id),
        )

    # --- housekeeping ------------------------------------------------------------------------

    def purge(self, now: datetime | None = None) -> int:
        """Delete what is past its retention: ended tasks, attempts, dead letters.

        An ended task goes ``LEDGER_RETENTION_DAYS`` after it ended, an attempt that long
        after it started, a dead letter that long after it was recorded (as DynamoDB's TTL
        does on AWS). Returns the number of rows deleted.
        """
        cutoff = (now or self.clock()).timestamp()
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
