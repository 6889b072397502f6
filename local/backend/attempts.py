"""One delivery attempt of a claimed run and what its outcome does to the store.

Delivered → the run is deleted (batched with other completions); retryable → retried after
an exponential backoff that honours ``Retry-After``, up to ``1 + retry_max_attempts``
attempts within the maximum event age; otherwise → dead-lettered with every attempt.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from local.backend.config import EngineConfig
from local.backend.delivery import Sender
from local.backend.lanes import Job
from local.backend.records import DeadLetter, DeadLetterReason, RunRow
from local.backend.store import LocalStore, iso
from shared.exceptions import PermanentDeliveryError, RetryableDeliveryError

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
    ) -> None:
        self.store = store
        self.sender = sender
        self.config = config
        self._completed = completed
        self._retry_queued = retry_queued

    def may_start(self, run: RunRow, now: float) -> bool:
        """The one place just before an attempt starts: False drops the run (it is handled)."""
        if not self.store.run_pending(run.run_id):  # cancelled: no attempt starts after DELETE
            return False
        if now > run.expires_at:
            self.dead_letter(run, "expired", None, "", "older than the maximum event age")
            return False
        return True

    async def attempt(self, job: Job) -> None:
        """Make one attempt of ``job`` and record its outcome."""
        run = job.run
        now = time.time()
        if not self.may_start(run, now):
            return
        run.attempt += 1
        if job.call is None:
            self._log(run, now, None, job.invalid)
            self.dead_letter(run, "permanent_failure", None, "")
            return
        try:
            await self.sender.send(job.call)
        except RetryableDeliveryError as exc:
            self._log(run, now, exc.status, exc.message)
            self._retry(run, exc)
        except PermanentDeliveryError as exc:
            self._log(run, now, exc.status, exc.message)
            self.dead_letter(run, "permanent_failure", exc.status, exc.response_body)
        except Exception as exc:
            logger.exception("delivery of task %s raised unexpectedly", run.task_id)
            self._log(run, now, None, f"{type(exc).__name__}: {exc}")
            self._retry(run, None)
        else:
            self._completed(run.run_id)

    @staticmethod
    def _log(run: RunRow, at: float, status: int | None, error: str) -> None:
        run.log.append({"at": iso(at), "status": status, "error": error})

    def _retry(self, run: RunRow, exc: RetryableDeliveryError | None) -> None:
        status = exc.status if exc is not None else None
        if run.attempt > self.config.retry_max_attempts:
            self.dead_letter(run, "retries_exhausted", status, "")
            return
        wait = self.config.backoff(run.attempt, exc.retry_after_seconds if exc else None)
        due = time.time() + wait
        if due > run.expires_at:
            self.dead_letter(run, "expired", status, "", "next attempt past the event age")
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
        logger.warning(
            "task %s dead-lettered as %s (%s) after %d attempt(s)%s",
            run.task_id,
            letter.dl_id,
            reason,
            len(run.log),
            f": {note}" if note else "",
        )
