"""``LocalScheduler``: the ``TaskScheduler`` port on the local store and engine.

Validation goes through ``shared.scheduling.validation``, so one input gives the same domain
error here as on EventBridge. One-time tasks are deleted once they fire (EventBridge's
``ActionAfterCompletion=DELETE``); recurring tasks stay until cancelled. The record of tasks
and attempts is the ledger (``self.ledger``, written by the engine through
``self.recorder``); the API reads it through ``shared.ledger.scheduler.LedgeredScheduler``.
"""

from __future__ import annotations

import base64
import builtins
import json
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.backend import dead_letters
from local.backend.config import EngineConfig
from local.backend.delivery import Sender, as_sender
from local.backend.engine import Engine
from local.backend.ledger import SQLiteLedger
from local.backend.recording import LedgerRecorder
from local.backend.records import TaskRow
from local.backend.roles import EngineRole
from local.backend.store import LocalStore
from local.backend.timing import TriggerCache
from shared.delivery.event import ApiCallRequest
from shared.exceptions import InvalidRequestError, ScheduleValidationError, TaskNotFoundError
from shared.exclusive import ExclusiveLock
from shared.scheduling.idempotency import new_nonce, replay_or_conflict, spec_fingerprint
from shared.scheduling.names import is_task_id
from shared.scheduling.schedule_mapping import NEXT_TOKEN_MESSAGE, input_fingerprint
from shared.scheduling.types import OneTimeTaskSpec, RecurringTaskSpec, ScheduledTask, TaskPage
from shared.scheduling.validation import (
    at_expression,
    build_target_input,
    new_task_id,
    validate_page_request,
    validate_run_at,
    validate_task_id,
    validate_timezone,
)

logger = logging.getLogger("local")
DB_NAME = "scheduler.sqlite3"
PAGE_TOKEN_PREFIX = "local-page:"  # noqa: S105 - a format, not a secret


class LocalScheduler:
    """Durable, to-the-second scheduling on this machine; implements ``TaskScheduler``.

    Parameters
    ----------
    state_dir:
        Folder of the SQLite file (``scheduler.sqlite3``) and the engine's lock file.
    deliver:
        Performs one attempt of a call: the delivery core on the engine's loop
        (``AsyncDelivery``), or a plain function (run on worker threads).
    config:
        Concurrency and retry rules.
    group:
        Schedule group name shown in the task ARNs.
    """

    # Port calls are a few SQLite statements (~0.1 ms): the API may call them on its event loop.
    nonblocking = True

    def __init__(
        self,
        state_dir: Path,
        deliver: Sender | Callable[[ApiCallRequest], Any],
        config: EngineConfig | None = None,
        *,
        group: str = "default",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config or EngineConfig()
        self.state_dir = state_dir
        self.store = LocalStore(state_dir / DB_NAME)
        self.group = group
        self._clock = clock
        self._triggers = TriggerCache(self.config.max_event_age_seconds, clock)
        days = self.config.ledger_retention_days
        self.ledger = SQLiteLedger(self.store, days, clock=self._now)
        self.recorder = LedgerRecorder(self.store, days, clock=self._now)
        self.engine = Engine(
            self.store, as_sender(deliver), self._triggers.advance, self.config, self.recorder
        )
        self._lock = ExclusiveLock(state_dir / "engine.lock")
        self._role = EngineRole(self._lock, self.engine, self.config.poll_seconds)

    @classmethod
    def from_settings(cls, settings: Any) -> LocalScheduler:
        """Build from ``shared.settings.Settings`` (delivery core, pool sized to the workers)."""
        from local.backend.wiring import build_from_settings

        return build_from_settings(cls, settings)

    def start(self, *, shared: bool = False) -> None:
        """Take the state folder's lock and start firing; returns at once.

        ``shared`` (several server processes on one folder): when another process runs the
        engine, serve against the store and stand by instead of failing.
        """
        self._role.start(shared=shared)
        self.record_unledgered()
        logger.info("local scheduler started (state in %s)", self.store.path)

    def record_unledgered(self) -> int:
        """Record in the ledger the tasks a state folder kept from before it had one.

        Returns how many were recorded (none once every task was created with the ledger).
        """
        from shared.ledger.scheduler import to_record

        rows = self.store.read(
            "SELECT t.* FROM tasks AS t LEFT JOIN ledger_tasks AS l USING (task_id)"
            " WHERE l.task_id IS NULL"
        )
        for row in rows:
            task = TaskRow.from_row(row)
            fingerprint = input_fingerprint(task.input)  # None: made before fingerprints
            record = to_record(self._public(task), fingerprint or "")
            self.ledger.put_task(replace(record, request_fingerprint=fingerprint))
        if rows:
            logger.info("%d task(s) from before the ledger recorded in it", len(rows))
        return len(rows)

    def shutdown(self) -> None:
        """Stop firing (in-flight calls get a short grace), close the store, release the lock."""
        self._role.stop()
        self.store.close()

    # --- the port --------------------------------------------------------------------------

    def create_one_time(self, spec: OneTimeTaskSpec) -> ScheduledTask:
        """Create a task that runs once at ``spec.run_at`` (validated as on EventBridge)."""
        zone = validate_timezone(spec.timezone)
        now = datetime.fromtimestamp(self._clock(), UTC)
        run_at = validate_run_at(spec.run_at, now=now)
        task_id = new_task_id(spec.name_prefix, spec.client_token)
        payload = build_target_input(
            spec.call, task_id=task_id, recurring=False, nonce=new_nonce(),
            request_fingerprint=spec_fingerprint(spec),
        )  # fmt: skip
        expression, zone_name = at_expression(run_at, zone)
        row = TaskRow(
            task_id, "one_time", expression, zone_name, payload, now.timestamp(),
            run_at.timestamp(), spec.client_token,
        )  # fmt: skip
        return self._created(row, spec)

    def create_recurring(self, spec: RecurringTaskSpec) -> ScheduledTask:
        """Create a task that runs on a ``cron(...)``/``rate(...)`` expression in its zone."""
        validate_timezone(spec.timezone)
        now = datetime.fromtimestamp(self._clock(), UTC)
        expression, first = self._triggers.first_tick(spec.expression, spec.timezone, now)
        if first is None:
            raise ScheduleValidationError(
                f"schedule expression {spec.expression!r} never fires after now",
                details={"expression": spec.expression},
            )
        task_id = new_task_id(spec.name_prefix, spec.client_token)
        payload = build_target_input(
            spec.call, task_id=task_id, recurring=True, nonce=new_nonce(),
            request_fingerprint=spec_fingerprint(spec),
        )  # fmt: skip
        row = TaskRow(
            task_id, "recurring", expression, spec.timezone, payload, now.timestamp(),
            first, spec.client_token,
        )  # fmt: skip
        return self._created(row, spec)

    def get(self, task_id: str) -> ScheduledTask:
        """Return the task; ``TaskNotFoundError`` when unknown or already fired (one-time)."""
        row = self.store.get_task(validate_task_id(task_id))
        if row is None:
            raise TaskNotFoundError(f"task {task_id!r} not found", details={"task_id": task_id})
        return self._public(row)

    def list(
        self,
        *,
        name_prefix: str | None = None,
        page_size: int = 50,
        next_token: str | None = None,
    ) -> TaskPage:
        """Return one page of tasks ordered by id; ``next_token`` is opaque (the last id)."""
        validate_page_request(name_prefix=name_prefix, page_size=page_size, next_token=next_token)
        after = _read_page_token(next_token) if next_token is not None else None
        rows = self.store.list_tasks(name_prefix or "", page_size + 1, after)
        page = [self._public(row) for row in rows[:page_size]]
        more = len(rows) > page_size
        return TaskPage(tasks=page, next_token=_page_token(page[-1].task_id) if more else None)

    def cancel(self, task_id: str) -> None:
        """Delete the task and every run of it; no attempt of it starts afterwards.

        Runs already claimed or waiting for a retry are deleted too (the engine checks that
        a run still exists right before each attempt); an attempt already on the wire may
        finish. A one-time task that already fired but whose delivery is still retrying is
        cancelled the same way (its retries stop).
        """
        if not self.store.delete_task(validate_task_id(task_id)):
            raise TaskNotFoundError(f"task {task_id!r} not found", details={"task_id": task_id})
        self._triggers.forget(task_id)

    # --- dead letters ----------------------------------------------------------------------

    def list_dead_letters(
        self, *, task_id: str | None = None, limit: int = 100
    ) -> builtins.list[dict[str, Any]]:
        """Return dead letters (oldest first) as JSON-ready dicts with their attempts."""
        letters = dead_letters.list_dead_letters(self.store, task_id=task_id, limit=limit)
        return [dead_letters.dead_letter_public(letter) for letter in letters]

    def dead_letter_page(
        self, *, task_id: str | None = None, limit: int = 100, next_token: str | None = None
    ) -> tuple[builtins.list[dict[str, Any]], str | None]:
        """Return one page of dead letters (oldest first) and the next page's token."""
        letters, token = dead_letters.page_dead_letters(
            self.store, task_id=task_id, limit=limit, next_token=next_token
        )
        return [dead_letters.dead_letter_public(letter) for letter in letters], token

    def redrive(self, dead_letter_id: str) -> dict[str, Any]:
        """Deliver a dead letter again now (see ``dead_letters.redrive``: the answer, 404, 409)."""
        redriven = dead_letters.redrive(
            self.store,
            dead_letter_id,
            now=self._clock(),
            max_event_age=self.config.max_event_age_seconds,
        )
        self._role.wake()
        return redriven

    # --- helpers ---------------------------------------------------------------------------

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def _created(self, row: TaskRow, spec: OneTimeTaskSpec | RecurringTaskSpec) -> ScheduledTask:
        stored = self.store.insert_task(row)
        if stored is not row:  # the id was taken: a replay of the same request, or a conflict
            return replay_or_conflict(
                self._public(stored), spec_fingerprint(spec), spec.client_token
            )
        self._role.wake(stored.next_fire_at)
        return self._public(stored)

    def _public(self, row: TaskRow) -> ScheduledTask:
        zone = validate_timezone(row.timezone)
        when = row.next_fire_at
        return ScheduledTask(
            task_id=row.task_id,
            arn=f"local:schedule/{self.group}/{row.task_id}",
            kind=row.kind,
            schedule_expression=row.expression,
            timezone=row.timezone,
            state="ENABLED",
            call=ApiCallRequest.from_event(json.loads(row.input)),
            run_at=datetime.fromtimestamp(when, zone) if when is not None else None,
            created_at=datetime.fromtimestamp(row.created_at, UTC),
            next_run_at=(
                datetime.fromtimestamp(when, zone)
                if when is not None and row.kind == "recurring"
                else None
            ),
            request_fingerprint=input_fingerprint(row.input),
        )


def _page_token(last_id: str) -> str:
    return base64.urlsafe_b64encode(f"{PAGE_TOKEN_PREFIX}{last_id}".encode()).decode().rstrip("=")


def _read_page_token(token: str) -> str:
    """Return the id a page token names; any other string is the client's error (400)."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (ValueError, UnicodeError):
        text = ""
    last_id = text.removeprefix(PAGE_TOKEN_PREFIX)
    if not text.startswith(PAGE_TOKEN_PREFIX) or not is_task_id(last_id):
        raise InvalidRequestError(NEXT_TOKEN_MESSAGE)
    return last_id
