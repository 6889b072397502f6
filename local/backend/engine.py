"""The local engine: one asyncio loop on its own thread fires due runs, per-target lanes.

The dispatcher sleeps until the earliest due time in the store (or until woken by a new task,
a retry, or a datagram from another server process), claims due runs in one transaction and
queues each in its target's lane (``lanes.py``); a run starts when its target's share and the
overall limit allow, as an asyncio task on the same loop (``attempts.py``). Completions are
deleted in batches. Stop: no new claims, in-flight calls get ``stop_grace_seconds`` and are
then cut (their runs are re-queued for the next start, like those of a killed process).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from pathlib import Path

from local.backend.attempts import Attempts
from local.backend.config import EngineConfig
from local.backend.delivery import Sender
from local.backend.lanes import Job, Lanes
from local.backend.recording import LedgerRecorder
from local.backend.space import prepare_reclaim, reclaim_space
from local.backend.store import Advance, LocalStore
from local.backend.wakeup import WakeListener

logger = logging.getLogger("local")
CLAIM_BATCH = 1000  # runs claimed in one transaction at most
MAX_BACKLOG = 20_000  # runs claimed and not finished at most (queued in lanes + in flight)
CLAIM_PAUSE_SECONDS = 0.005  # after a claim: lets deliveries run, batches the next claim
FLUSH_SECONDS = 0.02  # completed runs are deleted in one transaction this often
VACUUM_EVERY_SECONDS = 60.0


class Engine:
    """Fires due runs from ``store`` through ``sender`` with per-target concurrency."""

    def __init__(
        self,
        store: LocalStore,
        sender: Sender,
        advance: Advance,
        config: EngineConfig,
        ledger: LedgerRecorder | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.ledger = ledger
        self._sender = sender
        self._advance = advance
        self.lanes = Lanes(config.host_limits, config.workers)
        self._attempts = Attempts(
            store,
            sender,
            config,
            completed=self._completed,
            retry_queued=self._wake_soon,
            ledger=ledger,
            ledger_queued=self._flush_soon,
        )
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._wake_pending = False
        self._planned_wake = math.inf  # when the sleeping dispatcher wakes up anyway
        self._tasks: set[asyncio.Task[None]] = set()
        self._done: list[int] = []
        self._flush_handle: asyncio.TimerHandle | None = None
        self._wake_path: Path | None = None
        self._failed: BaseException | None = None

    # --- life cycle (any thread) -----------------------------------------------------------

    def start(self, wake_path: Path | None = None) -> None:
        """Re-queue runs a dead process left claimed, then start the loop thread.

        ``wake_path``: listen there for due times sent by other server processes.
        """
        released = self.store.release_claimed()
        if released:
            logger.warning("re-queued %d run(s) interrupted by the last shutdown", released)
        prepare_reclaim(self.store)
        self._wake_path = wake_path
        self.lanes = Lanes(self.config.host_limits, self.config.workers)  # a fresh start
        self._done, self._wake_pending, self._failed = [], False, None
        self._stopping.clear()
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name="local-engine", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._failed is not None:
            raise self._failed

    def stop(self) -> None:
        """Stop claiming; give in-flight calls the grace period, then cut them (re-queued)."""
        self._stopping.set()
        self._wake_soon()
        if self._thread is not None:
            self._thread.join(self.config.stop_grace_seconds + 10.0)
            self._thread = None

    def wake(self, due_at: float | None = None) -> None:
        """Make the dispatcher look at the store: something is due at ``due_at`` (None: now).

        A task due after the dispatcher's planned wake-up does not wake it, so creating
        far-future tasks costs the dispatcher nothing.
        """
        if due_at is None or due_at < self._planned_wake:
            self._wake_soon()

    def _wake_soon(self) -> None:
        loop = self._loop
        if loop is None or self._wake_pending:
            return
        self._wake_pending = True
        with contextlib.suppress(RuntimeError):  # the loop has just closed
            loop.call_soon_threadsafe(self._on_wake)

    # --- the loop thread -------------------------------------------------------------------

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # start() re-raises it in the caller
            self._failed = exc
            logger.exception("local engine loop failed")
        finally:
            self._loop = None
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        await self._sender.open()
        listener = self._listen()
        if listener is not None:
            self._loop.add_reader(listener.fileno(), lambda: self.wake(listener.drain()))
        self._ready.set()
        try:
            await self._dispatch()
        finally:
            if listener is not None:
                self._loop.remove_reader(listener.fileno())
                listener.close()
            await self._finish()

    def _listen(self) -> WakeListener | None:
        """Listen for other processes' due times; without the socket they wait for a poll."""
        if self._wake_path is None:
            return None
        try:
            return WakeListener(self._wake_path)
        except OSError as exc:
            logger.warning(
                "cannot listen on %s (%s): tasks created by other server processes are "
                "picked up within LOCAL_POLL_SECONDS",
                self._wake_path,
                exc,
            )
            return None

    def _on_wake(self) -> None:
        self._wake_pending = False
        if self._wake is not None:
            self._wake.set()

    async def _dispatch(self) -> None:
        assert self._wake is not None
        vacuum_at = time.monotonic() + VACUUM_EVERY_SECONDS
        while not self._stopping.is_set():
            try:
                self._planned_wake = math.inf  # while awake, every wake() request counts
                self._wake.clear()
                due = self.store.next_due()
                if due is not None and due <= time.time() and self._claim():
                    await asyncio.sleep(CLAIM_PAUSE_SECONDS)
                    continue
                if time.monotonic() >= vacuum_at:
                    vacuum_at = time.monotonic() + VACUUM_EVERY_SECONDS
                    self.housekeeping()
                pause = self._sleep_for(due)
                self._planned_wake = time.time() + pause
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), pause)
            except Exception:  # keep firing whatever one iteration hit
                logger.exception("local dispatcher iteration failed")
                await asyncio.sleep(self.config.poll_seconds)

    def housekeeping(self) -> None:
        """Once a minute: purge ledger history past ``LEDGER_RETENTION_DAYS``, give space back."""
        if self.ledger is not None:
            self.ledger.purge()
        reclaim_space(self.store)

    def _claim(self) -> int:
        room = min(CLAIM_BATCH, MAX_BACKLOG - self.lanes.pending)
        if room <= 0:
            return 0
        runs = self.store.claim_due(
            time.time(), room, self._advance, self.config.max_event_age_seconds
        )
        for run in runs:
            self.lanes.add(Job.of(run))
        self._pump()
        return len(runs)

    def _sleep_for(self, due: float | None) -> float:
        if due is None or self.lanes.pending >= MAX_BACKLOG:
            return self.config.poll_seconds  # a finishing delivery wakes us when full
        return min(max(due - time.time(), 0.0), self.config.poll_seconds)

    def _pump(self) -> None:
        """Start every queued run its target's share and the overall limit allow."""
        for job in self.lanes.ready():
            task = asyncio.create_task(self._deliver(job))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, job: Job) -> None:
        try:
            await self._attempts.attempt(job)
        except Exception:  # the store failed; the run stays claimed until the next start
            logger.exception("local run %s of task %s failed", job.run.run_id, job.run.task_id)
        finally:
            self.lanes.done(job.key)
            if not self._stopping.is_set():
                self._pump()
                if self.lanes.pending == MAX_BACKLOG // 2:
                    self._wake_soon()

    def _completed(self, run_id: int) -> None:
        self._done.append(run_id)
        self._flush_soon()

    def _flush_soon(self) -> None:
        if self._flush_handle is None and self._loop is not None:
            self._flush_handle = self._loop.call_later(FLUSH_SECONDS, self._flush)

    def _flush(self) -> None:
        """Delete the delivered runs, then write the ledger's queued writes (apart: a ledger
        failure must never make a delivered run due again)."""
        self._flush_handle = None
        done, self._done = self._done, []
        if done:
            try:
                self.store.complete_runs(done)
            except Exception:  # they stay claimed: delivered again after the next start
                logger.exception("could not record %d delivered run(s)", len(done))
        if self.ledger is not None:
            self.ledger.flush()

    async def _finish(self) -> None:
        if self._tasks:
            _, cut = await asyncio.wait(set(self._tasks), timeout=self.config.stop_grace_seconds)
            for task in cut:
                task.cancel()
            await asyncio.gather(*cut, return_exceptions=True)
            if cut:
                logger.warning(
                    "stopped with %d delivery(ies) still in flight after %.1f s: cut short, "
                    "they run again at the next start (same webhook-id)",
                    len(cut),
                    self.config.stop_grace_seconds,
                )
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        self._flush()
        released = self.store.release_claimed()  # queued and cut runs: due again
        if released:
            logger.info("%d claimed run(s) left for the next start", released)
        await self._sender.close()
