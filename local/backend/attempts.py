"""One delivery attempt of a claimed run and what its outcome does to the store.

Delivered → the run is deleted (batched with other completions); retryable → retried after
an exponential backoff that honours ``Retry-After``, up to ``1 + retry_max_attempts``
attempts within the maximum event age; otherwise → dead-lettered with every attempt. Each
attempt is recorded in the ledger as API_CALL_LAMBDA records it on AWS
(``local.backend.recording``).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from local.backend.config import EngineConfig
from local.backend.delivery import Sender
from local.backend.lanes import Job
from local.backend.recording import LedgerRecorder
from local.backend.records import DeadLetter, DeadLetterReason, RunRow, run_request_id
from local.backend.store import LocalStore
from shared.delivery.event import ApiCallRequest
from shared.exceptions import PermanentDeliveryError, RetryableDeliveryError
from shared.ledger.recorder import attempt_of_call
from shared.ledger.types import ONE_TIME_TICK, error_class_of

logger = logging.getLogger("local")


class Attempts:
    """Runs attempts on the engine's loop; store writes are short SQLite statements."""

    def __init__(
        self,
        store: LocalStore,
        sender: Sender,
        config: EngineConfig,
        *,
        completed: Callable[[int], None],
        retry_queued: Callable[[], None],
        ledger: LedgerRecorder | None = None,
        ledger_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.sender = sender
        self.config = config
        self.ledger = ledger
        self._completed = completed
        self._retry_queued = retry_queued
        self._ledger_queued = ledger_queued  # the engine flushes the ledger's queue soon

    def may_start(self, run: RunRow, now: float) -> bool:
        """The one place just before an attempt starts: False drops the run (it is handled)."""
        pending, status = self.store.run_and_ledger_state(run.run_id, run.task_id)
        if not pending:  # cancelled: no attempt starts after DELETE
            return False
        if status == "cancelled":  # marked in the ledger, its run not deleted yet: as on AWS
            logger.warning("task %s cancelled: not delivered", run.task_id)
            self._completed(run.run_id)
            return False
        if now > run.expires_at:
            self.dead_letter(run, "expired", None, "", "older than the maximum event age")
            return False
        return True

    async def attempt(self, job: Job) -> None:
        """Make one attempt of ``job`` and record its outcome."""
        run, call = job.run, job.call
        now = time.time()
        if not self.may_start(run, now):
            return
        run.attempt += 1
        if call is None:
            self._log(run, now, None, "InvalidRequestError", job.invalid)
            self.dead_letter(run, "permanent_failure", None, "")
            return
        ledger = _LedgerAttempt.begin(self.ledger, run, call, now)
        self._ledger_queued()
        try:
            result = await self.sender.send(call)
        except RetryableDeliveryError as exc:
            self._log(run, now, exc.status, error_class_of(exc), exc.message)
            _LedgerAttempt.finish(ledger, "retryable", exc.status, exc, exc.response_body)
            self._retry(run, exc)
        except PermanentDeliveryError as exc:
            self._log(run, now, exc.status, error_class_of(exc), exc.message)
            _LedgerAttempt.finish(ledger, "permanent", exc.status, exc, exc.response_body)
            self.dead_letter(run, "permanent_failure", exc.status, exc.response_body)
        except Exception as exc:
            logger.exception("delivery of task %s raised unexpectedly", run.task_id)
            self._log(run, now, None, error_class_of(exc), f"{type(exc).__name__}: {exc}")
            _LedgerAttempt.finish(ledger, "retryable", None, exc, "")
            self._retry(run, None)
        else:
            status = getattr(result, "status", None)
            body = str(getattr(result, "response_body", "") or "")
            _LedgerAttempt.finish(ledger, "delivered", status, None, body)
            self._completed(run.run_id)

    @staticmethod
    def _log(run: RunRow, at: float, status: int | None, error: str | None, note: str) -> None:
        """Add the attempt to the run's log (a dead letter's ``attempts``): the time it
        started (ISO 8601, UTC), the status, and the error class as the ledger records it
        (``message``: the delivery core's explanation)."""
        started = datetime.fromtimestamp(at, UTC).isoformat()
        run.log.append({"at": started, "status": status, "error": error or "", "message": note})

    def _retry(self, run: RunRow, exc: RetryableDeliveryError | None) -> None:
        # A letter's ``status`` is the target's answer of a permanent failure, as on AWS (a
        # Lambda on-failure record carries none); each attempt's status is in ``attempts``.
        if run.attempt > self.config.retry_max_attempts:
            self.dead_letter(run, "retries_exhausted", None, "")
            return
        wait = self.config.backoff(run.attempt, exc.retry_after_seconds if exc else None)
        due = time.time() + wait
        if due > run.expires_at:
            self.dead_letter(run, "expired", None, "", "next attempt past the event age")
            return
        logger.info("task %s: attempt %d failed, retry in %.1f s", run.task_id, run.attempt, wait)
        self.store.retry_run(run, due)
        self._retry_queued()

    def dead_letter(
        self, run: RunRow, reason: DeadLetterReason, status: int | None, body: str, note: str = ""
    ) -> None:
        """Replace ``run`` by a dead letter listing every attempt."""
        letter = DeadLetter(
            dl_id=f"dl-{uuid.uuid4().hex}",
            task_id=run.task_id,
            scheduled_time=run.scheduled_time,
            input=run.input,
            attempts=list(run.log),
            reason=reason,
            status=status,
            response_body=body,
            created_at=time.time(),
        )
        self.store.dead_letter_run(run, letter)
        if self.ledger is not None:
            now = datetime.now(UTC)
            self.ledger.dead_lettered_later(run.task_id, now=now, dl_id=letter.dl_id)
            self._ledger_queued()
        logger.warning(
            "task %s dead-lettered as %s (%s) after %d attempt(s)%s",
            run.task_id,
            letter.dl_id,
            reason,
            len(run.log),
            f": {note}" if note else "",
        )


class _LedgerAttempt:
    """One attempt in the ledger: started before the call, finished with its outcome."""

    def __init__(
        self, ledger: LedgerRecorder, run: RunRow, call: ApiCallRequest, at: float
    ) -> None:
        self.ledger = ledger
        self.run = run
        self.call = call
        self.recurring = call.scheduled_time is not None
        self.tick = call.scheduled_time or ONE_TIME_TICK
        self.started_at = datetime.fromtimestamp(at, UTC)
        self.started = time.perf_counter()
        assert call.task_id is not None
        self.pending = ledger.begin(call.task_id, recurring=self.recurring, tick=self.tick)

    @classmethod
    def begin(
        cls, ledger: LedgerRecorder | None, run: RunRow, call: ApiCallRequest, at: float
    ) -> _LedgerAttempt | None:
        """Queue the start (nothing without a ledger or a task id)."""
        if ledger is None or call.task_id is None:
            return None
        return cls(ledger, run, call, at)

    @staticmethod
    def finish(
        attempt: _LedgerAttempt | None,
        outcome: str,
        http_status: int | None,
        error: BaseException | None,
        body: str,
    ) -> None:
        """Queue the attempt's outcome (never raises)."""
        if attempt is None:
            return
        attempt.ledger.end(
            attempt.pending,
            attempt_of_call(
                attempt.call,
                attempt_number=0,  # the number its start gets when written
                started_at=attempt.started_at,
                started=attempt.started,
                outcome=outcome,
                http_status=http_status,
                error=error,
                response_body=body,
                request_id=run_request_id(attempt.run.run_id),
            ),
        )
