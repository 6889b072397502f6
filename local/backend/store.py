"""Durable state of the local backend: one SQLite file (WAL) with tasks, runs and dead letters.

A *task* is what the API created (a one-time time or a recurring expression). When a task is
due, one transaction turns it into a *run* (one delivery of one tick) and either deletes the
one-time task or advances the recurring task to its next tick, so a tick is materialised once.
A run is *claimed* before it is delivered and deleted (or dead-lettered) in one transaction
when its outcome is known; runs left claimed by a killed process are released at start, so a
delivery may repeat after a crash (at-least-once) but a completed run never fires again.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from local.backend.catchup import Advance, latest_due_tick
from local.backend.records import DeadLetter, RunRow, TaskRow
from local.backend.schema import LEDGER_SCHEMA, SCHEMA
from shared.delivery.event import SCHEDULED_TIME_PLACEHOLDER

__all__ = ["Advance", "LocalStore", "iso"]
logger = logging.getLogger("local")
# Indexes for paging dead letters in order (created here: the schema module is the tables').
PAGING_INDEXES = """
CREATE INDEX IF NOT EXISTS dead_letters_order ON dead_letters (created_at, dl_id);
CREATE INDEX IF NOT EXISTS dead_letters_task ON dead_letters (task_id, created_at, dl_id);
"""
WAL_LIMIT_BYTES = 16 * 1024 * 1024  # the WAL file is truncated to this after checkpoints


def iso(epoch: float) -> str:
    """Format an epoch time as ISO 8601 UTC with a ``Z``, to the second as EventBridge does."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class LocalStore:
    """Thread-safe access to the SQLite file; one connection serialised by a lock.

    Parameters
    ----------
    path:
        The database file; its folder is created when missing.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=30.0
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # takes effect in a new file
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
        self._db.executescript(SCHEMA + PAGING_INDEXES + LEDGER_SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a block in one write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def read(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        """Run one query and return its rows."""
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # --- tasks -----------------------------------------------------------------------------

    def insert_task(self, task: TaskRow) -> TaskRow:
        """Store a new task and return it; when the id is taken, return the stored task.

        One statement (its own transaction) in the common case: creating tasks is on the
        API's hot path. The caller compares request fingerprints (a replay or a conflict).
        """
        params = (
            task.task_id, task.kind, task.expression, task.timezone, task.input,
            task.created_at, task.next_fire_at, task.client_token,
        )  # fmt: skip
        with self._lock:
            inserted = self._db.execute(
                "INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (task_id) DO NOTHING",
                params,
            ).rowcount
            row = (
                None
                if inserted
                else self._db.execute(
                    "SELECT * FROM tasks WHERE task_id = ?", (task.task_id,)
                ).fetchone()
            )
        if row is None:
            return task
        return TaskRow.from_row(row)

    def get_task(self, task_id: str) -> TaskRow | None:
        """Return the task or None."""
        rows = self.read("SELECT * FROM tasks WHERE task_id = ?", (task_id,))
        return TaskRow.from_row(rows[0]) if rows else None

    def list_tasks(self, prefix: str, limit: int, after: str | None) -> list[TaskRow]:
        """Return up to ``limit`` tasks whose id starts with ``prefix``, ordered by id.

        A range on the primary key (``prefix <= task_id < prefix's successor``), so a page
        costs the same whatever the number of tasks.
        """
        if after is not None and after >= prefix:
            sql, params = "SELECT * FROM tasks WHERE task_id > ?", [after]
        else:
            sql, params = "SELECT * FROM tasks WHERE task_id >= ?", [prefix]
        if prefix:
            sql += " AND task_id < ?"
            params.append(prefix_successor(prefix))
        rows = self.read(sql + " ORDER BY task_id LIMIT ?", (*params, limit))
        return [TaskRow.from_row(row) for row in rows]

    def delete_task(self, task_id: str) -> bool:
        """Delete the task and every run of it, claimed or not; False when neither existed.

        A claimed run deleted here is skipped by the engine (``run_pending``) before its
        next attempt, and its outcome is not recorded (no retry, no dead letter).
        """
        with self.transaction() as db:
            deleted = db.execute("DELETE FROM tasks WHERE task_id = ?", (task_id,)).rowcount
            deleted += db.execute("DELETE FROM runs WHERE task_id = ?", (task_id,)).rowcount
        return bool(deleted)

    def run_pending(self, run_id: int) -> bool:
        """Return whether the run still exists (False: its task was cancelled)."""
        return bool(self.read("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)))

    def run_and_ledger_state(self, run_id: int, task_id: str) -> tuple[bool, str | None]:
        """Return whether the run still exists and its task's ledger status, in one read
        (the status is None when the ledger does not know the task or cannot be read)."""
        try:
            row = self.read(
                "SELECT EXISTS (SELECT 1 FROM runs WHERE run_id = ?),"
                " (SELECT status FROM ledger_tasks WHERE task_id = ?)",
                (run_id, task_id),
            )[0]
        except sqlite3.OperationalError as exc:  # the ledger's tables: never block a delivery
            logger.error("ledger read failed (cancel check, task %s): %s", task_id, exc)
            return self.run_pending(run_id), None
        return bool(row[0]), row[1]

    # --- the engine's side -----------------------------------------------------------------

    def next_due(self) -> float | None:
        """Return the earliest time at which a task or a run becomes due."""
        rows = self.read(
            "SELECT min(t) FROM (SELECT min(next_fire_at) AS t FROM tasks"
            " UNION ALL SELECT min(due_at) FROM runs WHERE claimed = 0)"
        )
        value = rows[0][0]
        return float(value) if value is not None else None

    def claim_due(
        self, now: float, limit: int, advance: Advance, max_event_age: float
    ) -> list[RunRow]:
        """Materialise due tasks into runs and claim up to ``limit`` due runs, atomically."""
        with self.transaction() as db:
            due = db.execute(
                "SELECT * FROM tasks WHERE next_fire_at <= ? ORDER BY next_fire_at LIMIT ?",
                (now, limit),
            ).fetchall()
            runs, deletes, moves = [], [], []
            for row in due:
                task = TaskRow.from_row(row)
                tick, following = float(row["next_fire_at"]), None
                if task.kind == "recurring":  # the catch-up rule: only the latest missed tick
                    tick, following, skipped = latest_due_tick(task, tick, now, advance)
                    if skipped:
                        logger.warning(
                            "task %s: %d missed tick(s) coalesced into the tick of %s",
                            task.task_id, skipped, iso(tick),
                        )  # fmt: skip
                payload = task.input.replace(SCHEDULED_TIME_PLACEHOLDER, iso(tick))
                runs.append((task.task_id, tick, tick, tick + max_event_age, payload))
                if following is None:
                    deletes.append((task.task_id,))
                else:
                    moves.append((following, task.task_id))
            db.executemany(
                "INSERT INTO runs (task_id, scheduled_time, due_at, expires_at, input)"
                " VALUES (?, ?, ?, ?, ?)",
                runs,
            )
            db.executemany("DELETE FROM tasks WHERE task_id = ?", deletes)
            db.executemany("UPDATE tasks SET next_fire_at = ? WHERE task_id = ?", moves)
            claimed = db.execute(
                "UPDATE runs SET claimed = 1 WHERE run_id IN (SELECT run_id FROM runs"
                " WHERE claimed = 0 AND due_at <= ? ORDER BY due_at LIMIT ?) RETURNING"
                " run_id, task_id, scheduled_time, due_at, expires_at, attempt, input, log",
                (now, limit),
            ).fetchall()
        return sorted((RunRow.from_row(row) for row in claimed), key=lambda r: r.due_at)

    def release_claimed(self) -> int:
        """Make runs claimed by a process that died due again; return how many."""
        with self.transaction() as db:
            return db.execute("UPDATE runs SET claimed = 0 WHERE claimed = 1").rowcount

    def complete_run(self, run_id: int) -> None:
        """Forget a delivered run (one statement, its own transaction)."""
        self.complete_runs([run_id])

    def complete_runs(self, run_ids: list[int]) -> None:
        """Forget delivered runs, all in one transaction."""
        with self.transaction() as db:
            db.executemany("DELETE FROM runs WHERE run_id = ?", [(i,) for i in run_ids])

    def retry_run(self, run: RunRow, due_at: float) -> None:
        """Release a failed run to be tried again at ``due_at`` with its updated log."""
        with self._lock:
            self._db.execute(
                "UPDATE runs SET claimed = 0, due_at = ?, attempt = ?, log = ? WHERE run_id = ?",
                (due_at, run.attempt, json.dumps(run.log), run.run_id),
            )

    def dead_letter_run(self, run: RunRow, letter: DeadLetter) -> None:
        """Replace a run by its dead letter, atomically (nothing when it was cancelled)."""
        with self.transaction() as db:
            if db.execute("DELETE FROM runs WHERE run_id = ?", (run.run_id,)).rowcount:
                db.execute(
                    "INSERT INTO dead_letters VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    letter.to_params(),
                )

    def script(self, sql: str) -> None:
        """Run statements outside a transaction, each to its end (``VACUUM``, pragmas)."""
        with self._lock:
            self._db.executescript(sql)


def prefix_successor(prefix: str) -> str:
    """Return the smallest string greater than every string that starts with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
