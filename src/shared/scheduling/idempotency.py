"""Stripe-style idempotency and per-task nonces, the same on every scheduling backend.

A create with a ``client_token`` names its task deterministically (``names.new_task_id``).
When that task exists already, the fingerprint of the new request is compared with the one
kept with the task (in the schedule's ``Input``): the same request gives the existing task
back (``replayed``; the API answers 200), another request is a ``TaskConflictError`` (409).
Once a one-time task has run (its schedule is gone) the token is free again, and the new
task gets a new nonce, so it never shares a ``webhook-id`` with the old one.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import replace
from typing import Any

from shared.exceptions import TaskConflictError
from shared.scheduling.types import OneTimeTaskSpec, RecurringTaskSpec, ScheduledTask

FINGERPRINT_KEY = "request_fingerprint"


def new_nonce() -> str:
    """Return a random nonce for a new task (32 hex characters, 128 bits)."""
    return secrets.token_hex(16)


def fingerprint(request: Any) -> str:
    """Return the SHA-256 (hex) of a JSON-ready request in canonical form.

    Parameters
    ----------
    request
        The request as the client sent it (e.g. the API's validated body without
        ``client_token``), JSON-ready.

    Returns
    -------
    str
        64 hex characters.
    """
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def spec_fingerprint(spec: OneTimeTaskSpec | RecurringTaskSpec) -> str:
    """Return the spec's ``request_fingerprint``, or one derived from the spec itself."""
    if spec.request_fingerprint is not None:
        return spec.request_fingerprint
    when = (
        {"run_at": spec.run_at.isoformat()}
        if isinstance(spec, OneTimeTaskSpec)
        else {"schedule_expression": spec.expression}
    )
    call = spec.call.to_event()
    return fingerprint({**call, **when, "timezone": spec.timezone, "name_prefix": spec.name_prefix})


def replay_or_conflict(
    existing: ScheduledTask, request_fingerprint: str, client_token: str | None
) -> ScheduledTask:
    """Return ``existing`` as a replay when the fingerprints match; else raise a conflict.

    Raises
    ------
    TaskConflictError
        No client token, or the token was used for a different request.
    """
    if client_token is not None and existing.request_fingerprint == request_fingerprint:
        return replace(existing, replayed=True)
    raise conflict_error(existing.task_id, client_token)


def conflict_error(task_id: str, client_token: str | None) -> TaskConflictError:
    """Return the one conflict error both backends raise for a taken task id."""
    if client_token is None:
        return TaskConflictError(f"task {task_id!r} already exists", details={"task_id": task_id})
    return TaskConflictError(
        f"client_token {client_token!r} was already used for a different request "
        f"(task {task_id!r})",
        details={"task_id": task_id},
    )
