"""The local engine: one dispatcher thread that wakes when the next run is due, N workers.

The dispatcher sleeps until the earliest due time in the store (or until woken by a new task
or a retry), claims due runs in one transaction and hands them to a bounded thread pool.
Each worker delivers through the injected ``deliver`` callable (the delivery core) and
records the outcome: delivered → the run is deleted; retryable → retried after an
exponential backoff that honours ``Retry-After``, up to ``1 + retry_max_attempts`` attempts
within the maximum event age; otherwise → dead-lettered with every attempt.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from local.backend.config import EngineConfig
from local.backend.records import DeadLetter, DeadLetterReason, RunRow
from local.backend.store import Advance, LocalStore, iso
from shared.delivery.event import ApiCallRequest
from shared.exceptions import InvalidRequestError, PermanentDeliveryError, RetryableDeliveryError

logger = logging.getLogger("local")
Deliver = Callable[[ApiCallRequest], Any]


class Engine:
    """Fires due runs from ``store`` through ``deliver`` with bounded concurrency."""

    def __init__(
        self, store: LocalStore, deliver: Deliver, advance: Advance, config: EngineConfig
    ) -> None:
        self.store = store
        self.config = config
        self._deliver = deliver
        self._advance = advance
        self._capacity = config.workers * 4  # runs claimed but not finished, at most
        self._in_flight = 0
        self._count_lock = threading.Lock()
        self._wake = threading.Event()
        self._planned_wake = math.inf  # when the sleeping dispatcher wakes up anyway
        self._stopping = threading.Event()
        self._pool: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Release runs a dead process left claimed, then start the dispatcher and workers."""
        released = self.store.release_claimed()
        if released:
            logger.warning("re-queued %d run(s) interrupted by the last shutdown", released)
        self._pool = ThreadPoolExecutor(self.config.workers, thread_name_prefix="local-worker")
        self._thread = threading.Thread(target=self._dispatch, name="local-dispatcher")
        self._thread.daemon = True
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, let running deliveries finish; queued runs stay due for next start."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def wake(self, due_at: float | None = None) -> None:
        """Make the dispatcher look at the store: something is due at ``due_at`` (None: now).

        A task due after the dispatcher's planned wake-up does not wake it, so creating
        far-future tasks costs the dispatcher nothing.
        """
        if due_at is None or due_at < self._planned_wake:
            self._wake.set()

    # --- dispatcher ------------------------------------------------------------------------

    def _dispatch(self) -> None:
        while not self._stopping.is_set():
            try:
                self._planned_wake = math.inf  # while awake, every wake() request counts
                self._wake.clear()
                due = self.store.next_due()
                if due is not None and due <= time.time() and self._claim():
                    continue
                pause = self._sleep_for(due)
                self._planned_wake = time.time() + pause
                self._wake.wait(pause)
            except Exception:  # keep firing whatever one iteration hit
                logger.exception("local dispatcher iteration failed")
                self._stopping.wait(self.config.poll_seconds)

    def _claim(self) -> int:
        with self._count_lock:
            free = self._capacity - self._in_flight
        if free <= 0:
            return 0
        runs = self.store.claim_due(
            time.time(), free, self._advance, self.config.max_event_age_seconds
        )
        assert self._pool is not None
        for run in runs:
            with self._count_lock:
                self._in_flight += 1
            self._pool.submit(self._work, run)
        return len(runs)

    def _sleep_for(self, due: float | None) -> float:
        with self._count_lock:
            full = self._in_flight >= self._capacity
        if full:
            return self.config.poll_seconds  # a finishing worker wakes us
        if due is None:
            return self.config.poll_seconds
        return min(max(due - time.time(), 0.0), self.config.poll_seconds)

    # --- workers ---------------------------------------------------------------------------

    def _work(self, run: RunRow) -> None:
        try:
            self._attempt(run)
        except Exception:  # the store failed; the run stays claimed until the next start
            logger.exception("local run %s of task %s failed unexpectedly", run.run_id, run.task_id)
        finally:
            with self._count_lock:
                self._in_flight -= 1
                refill = self._in_flight == self._capacity // 2
            if refill:
                self._wake.set()

    def _attempt(self, run: RunRow) -> None:
        if not self.store.run_pending(run.run_id):  # cancelled after it was claimed
            return
        now = time.time()
        if now > run.expires_at:
            self._dead_letter(run, "expired", None, "", "older than the maximum event age")
            return
        run.attempt += 1
        try:
            call = ApiCallRequest.from_event(json.loads(run.input))
            self._deliver(call)
        except RetryableDeliveryError as exc:
            self._log_attempt(run, now, exc.status, exc.message)
            self._retry(run, exc)
        except PermanentDeliveryError as exc:
            self._log_attempt(run, now, exc.status, exc.message)
            self._dead_letter(run, "permanent_failure", exc.status, exc.response_body)
        except (InvalidRequestError, ValueError) as exc:
            self._log_attempt(run, now, None, f"invalid stored call: {exc}")
            self._dead_letter(run, "permanent_failure", None, "")
        except Exception as exc:
            logger.exception("delivery of task %s raised unexpectedly", run.task_id)
            self._log_attempt(run, now, None, f"{type(exc).__name__}: {exc}")
            self._retry(run, None)
        else:
            self.store.complete_run(run.run_id)

    @staticmethod
    def _log_attempt(run: RunRow, at: float, status: int | None, error: str) -> None:
        run.log.append({"at": iso(at), "status": status, "error": error})

    def _retry(self, run: RunRow, exc: RetryableDeliveryError | None) -> None:
        if run.attempt > self.config.retry_max_attempts:
            status = exc.status if exc is not None else None
            self._dead_letter(run, "retries_exhausted", status, "")
            return
        wait = self.config.backoff(run.attempt, exc.retry_after_seconds if exc else None)
        due = time.time() + wait
        if due > run.expires_at:
            status = exc.status if exc is not None else None
            self._dead_letter(run, "expired", status, "", "next attempt past the event age")
            return
        logger.info("task %s: attempt %d failed, retry in %.1f s", run.task_id, run.attempt, wait)
        self.store.retry_run(run, due)
        self._wake.set()

    def _dead_letter(
        self,
        run: RunRow,
        reason: DeadLetterReason,
        status: int | None,
        body: str,
        note: str = "",
    ) -> None:
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
