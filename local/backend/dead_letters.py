"""Listing and re-driving the local backend's dead letters (used by the route and the command)."""

from __future__ import annotations

import json
from typing import Any

from local.backend.records import DeadLetter
from local.backend.store import LocalStore, iso
from shared.delivery.logs import redact_headers
from shared.exceptions import TaskNotFoundError


def list_dead_letters(
    store: LocalStore, *, task_id: str | None = None, limit: int = 100
) -> list[DeadLetter]:
    """Return dead letters, oldest first, optionally only those of one task.

    Parameters
    ----------
    store:
        The local store.
    task_id:
        Only the dead letters of this task when given.
    limit:
        At most this many.
    """
    if task_id is None:
        rows = store.read("SELECT * FROM dead_letters ORDER BY created_at LIMIT ?", (limit,))
    else:
        rows = store.read(
            "SELECT * FROM dead_letters WHERE task_id = ? ORDER BY created_at LIMIT ?",
            (task_id, limit),
        )
    return [DeadLetter.from_row(row) for row in rows]


def redrive(store: LocalStore, dl_id: str, *, now: float, max_event_age: float) -> int:
    """Turn a dead letter back into a run due now (fresh attempts and age); return its run id.

    The dead letter is deleted in the same transaction, so re-driving twice is impossible; if
    the run fails again it becomes a new dead letter. The call keeps its task id, so the
    ``webhook-id`` is the one the receiver saw before.

    Raises
    ------
    TaskNotFoundError
        When no dead letter has that id.
    """
    with store.transaction() as db:
        row = db.execute("SELECT * FROM dead_letters WHERE dl_id = ?", (dl_id,)).fetchone()
        if row is None:
            raise TaskNotFoundError(f"no dead letter {dl_id!r}", details={"dl_id": dl_id})
        db.execute("DELETE FROM dead_letters WHERE dl_id = ?", (dl_id,))
        cursor = db.execute(
            "INSERT INTO runs (task_id, scheduled_time, due_at, expires_at, input)"
            " VALUES (?, ?, ?, ?, ?)",
            (row["task_id"], row["scheduled_time"], now, now + max_event_age, row["input"]),
        )
        run_id = cursor.lastrowid
    assert run_id is not None
    return run_id


def dead_letter_public(letter: DeadLetter) -> dict[str, Any]:
    """Return the JSON-ready view of a dead letter (the route's and the command's output).

    Header values that can carry a credential are redacted, as in the delivery logs.
    """
    call = json.loads(letter.input)
    if isinstance(call.get("headers"), dict):
        call["headers"] = redact_headers(call["headers"])
    return {
        "id": letter.dl_id,
        "task_id": letter.task_id,
        "scheduled_time": iso(letter.scheduled_time),
        "reason": letter.reason,
        "status": letter.status,
        "response_body": letter.response_body,
        "attempts": letter.attempts,
        "call": call,
        "dead_lettered_at": iso(letter.created_at),
    }
