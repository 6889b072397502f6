"""Listing and re-driving the local backend's dead letters (used by the route and the command)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from local.backend.records import DeadLetter, run_request_id
from local.backend.store import LocalStore, iso
from shared.delivery.event import ApiCallRequest
from shared.delivery.logs import redact_headers
from shared.delivery.signing import webhook_id_for
from shared.exceptions import InvalidRequestError, TaskConflictError, TaskNotFoundError


def list_dead_letters(
    store: LocalStore, *, task_id: str | None = None, limit: int = 100
) -> list[DeadLetter]:
    """Return the first ``limit`` dead letters, oldest first (see ``page_dead_letters``)."""
    return page_dead_letters(store, task_id=task_id, limit=limit)[0]


def page_dead_letters(
    store: LocalStore,
    *,
    task_id: str | None = None,
    limit: int = 100,
    next_token: str | None = None,
) -> tuple[list[DeadLetter], str | None]:
    """Return one page of dead letters, oldest first, and the token of the next page.

    Parameters
    ----------
    store:
        The local store.
    task_id:
        Only the dead letters of this task when given.
    limit:
        At most this many.
    next_token:
        The token a previous page returned (None: the first page).

    Returns
    -------
    tuple
        The letters and the next page's token (None when this is the last page). Pages are
        read in ``(created_at, id)`` order on an index, so letters added while paging appear
        on a later page, never twice.

    Raises
    ------
    InvalidRequestError
        ``next_token`` is not one this backend returned.
    """
    after_time, after_id = _decode_token(next_token) if next_token else (-1.0, "")
    where = "(created_at > ? OR (created_at = ? AND dl_id > ?))"
    params: tuple[object, ...] = (after_time, after_time, after_id)
    if task_id is not None:
        where += " AND task_id = ?"
        params += (task_id,)
    rows = store.read(
        f"SELECT * FROM dead_letters WHERE {where} ORDER BY created_at, dl_id LIMIT ?",  # noqa: S608 - fixed text
        (*params, limit + 1),
    )
    letters = [DeadLetter.from_row(row) for row in rows[:limit]]
    more = len(rows) > limit
    return letters, _encode_token(letters[-1]) if more else None


def _encode_token(letter: DeadLetter) -> str:
    raw = json.dumps([letter.created_at, letter.dl_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str) -> tuple[float, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        created_at, dl_id = json.loads(raw)
        if isinstance(created_at, int | float) and isinstance(dl_id, str):
            return float(created_at), dl_id
    except (ValueError, TypeError):
        pass
    raise InvalidRequestError("next_token is not one this backend returned")


def redrive(store: LocalStore, dl_id: str, *, now: float, max_event_age: float) -> dict[str, Any]:
    """Turn a dead letter back into a run due now (fresh attempts and age).

    The dead letter is deleted in the same transaction, so re-driving twice is impossible; if
    the run fails again it becomes a new dead letter. The call keeps its task id, so the
    ``webhook-id`` is the one the receiver saw before. In the ledger a ``failed`` one-time
    task is ``scheduled`` again (then the attempt is recorded like any other), as on AWS.

    Returns
    -------
    dict
        The redrive as the API answers it: ``id``, ``task_id``, ``webhook_id``,
        ``request_id`` (``local-run-<n>``: the run that delivers it, the id its attempts
        carry in the ledger) and ``state`` (``redriven``).

    Raises
    ------
    TaskNotFoundError
        When no dead letter has that id (or it was redriven already).
    TaskConflictError
        When its task is ``cancelled``: nothing may be sent.
    InvalidRequestError
        When the recorded call cannot be sent (nothing changes).
    """
    with store.transaction() as db:
        row = db.execute("SELECT * FROM dead_letters WHERE dl_id = ?", (dl_id,)).fetchone()
        if row is None:
            raise TaskNotFoundError(f"no dead letter {dl_id!r}", details={"dl_id": dl_id})
        webhook_id = _webhook_id(dl_id, row["input"])
        task = db.execute(
            "SELECT kind, status FROM ledger_tasks WHERE task_id = ?", (row["task_id"],)
        ).fetchone()
        if task is not None and task["status"] == "cancelled":
            raise TaskConflictError(f"task {row['task_id']!r} is cancelled: not redriven")
        if task is not None and task["kind"] == "one_time" and task["status"] == "failed":
            db.execute(
                "UPDATE ledger_tasks SET status = 'scheduled', expires_at = NULL WHERE task_id = ?",
                (row["task_id"],),
            )
        db.execute("DELETE FROM dead_letters WHERE dl_id = ?", (dl_id,))
        cursor = db.execute(
            "INSERT INTO runs (task_id, scheduled_time, due_at, expires_at, input)"
            " VALUES (?, ?, ?, ?, ?)",
            (row["task_id"], row["scheduled_time"], now, now + max_event_age, row["input"]),
        )
        run_id = cursor.lastrowid
    assert run_id is not None
    return {
        "id": dl_id,
        "task_id": row["task_id"],
        "webhook_id": webhook_id,
        "request_id": run_request_id(run_id),
        "state": "redriven",
    }


def _webhook_id(dl_id: str, stored: str) -> str:
    try:
        return webhook_id_for(ApiCallRequest.from_event(json.loads(stored)))
    except (InvalidRequestError, ValueError) as exc:
        reason = exc.message if isinstance(exc, InvalidRequestError) else "not JSON"
        raise InvalidRequestError(
            f"dead letter {dl_id!r} holds a call that cannot be sent: {reason}"
        ) from None


def dead_letter_public(letter: DeadLetter) -> dict[str, Any]:
    """Return the JSON-ready view of a dead letter (the route's and the command's output).

    Header values that can carry a credential are redacted, as in the delivery logs. Each
    attempt is ``at`` (start, ISO 8601 UTC), ``status``, ``error`` (the error class the
    ledger records, as on AWS) and, here only, ``message`` (the delivery core's words).
    """
    call = json.loads(letter.input)
    if isinstance(call.get("headers"), dict):
        call["headers"] = redact_headers(call["headers"])
    return {
        "id": letter.dl_id,
        "task_id": letter.task_id,
        # the tick of a recurring task; "" for a one-time task, as on AWS
        "scheduled_time": iso(letter.scheduled_time) if "scheduled_time" in call else "",
        "reason": letter.reason,
        "status": letter.status,
        "response_body": letter.response_body,
        "attempts": letter.attempts,
        "call": call,
        # to the microsecond, as the AWS drain records it
        "dead_lettered_at": datetime.fromtimestamp(letter.created_at, UTC).strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ"
        ),
    }
