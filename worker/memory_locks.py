"""In-process tick locks for ONE worker replica (``BATCH_LOCK_BACKEND=memory``).

``make run`` uses them when no Redis answers and ``redis-server`` is not installed. They keep
the per-tick semantics of ``worker.locks.TickLocks``: a tick (job, scheduled fire time) is
claimed once and the claim expires after ``BATCH_LOCK_TTL_SECONDS``; the no-overlap guard is
held exactly while the job runs. Nothing is shared with other processes, so two replicas
with this backend would each run every tick: never use it for more than one replica.
The calls never raise, so the Redis-down decision and alert cannot happen with it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from worker.locks import ClaimCode, ClaimResult, tick_stamp

SINGLE_REPLICA_WARNING = (
    "batch worker runs as a single replica with an in-process lock (BATCH_LOCK_BACKEND=memory):"
    " not safe for more than one replica"
)


class MemoryTickLocks:
    """Claims ticks and guards runs inside this process (same interface as ``TickLocks``)."""

    redis: None = None  # jobs get ``ctx.redis is None`` with this backend

    def __init__(
        self,
        *,
        lock_ttl_seconds: float,
        replica_id: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lock_ttl = lock_ttl_seconds
        self.replica_id = replica_id or secrets.token_hex(6)
        self._clock = clock
        self._mutex = threading.Lock()  # claims come from the loop, but stay safe from threads
        self._ticks: dict[str, float] = {}  # tick key -> monotonic expiry
        self._running: set[str] = set()
        self._work: dict[str, concurrent.futures.Future[object]] = {}

    @staticmethod
    def tick_key(job_id: str, fire_time: datetime) -> str:
        """The key of one tick of one job (the fire time in UTC, as with Redis)."""
        return f"{job_id}:{tick_stamp(fire_time)}"

    async def claim(
        self, job_id: str, fire_time: datetime, grace_seconds: float | None = None
    ) -> ClaimResult:
        """Own this tick; true once per tick until its claim expires after the TTL."""
        key = self.tick_key(job_id, fire_time)
        now = self._clock()
        with self._mutex:
            expired = [k for k, until in self._ticks.items() if until <= now]
            for old in expired:  # bounded memory: one entry per live claim
                del self._ticks[old]
            if key in self._ticks:
                return ClaimResult(ClaimCode.TAKEN, self.replica_id)
            self._ticks[key] = now + self.lock_ttl
            return ClaimResult(ClaimCode.WON)

    def hold_while(self, job_id: str, work: concurrent.futures.Future[object]) -> None:
        """Keep ``job_id``'s guard until ``work`` (a thread) has really ended."""
        self._work[job_id] = work

    @contextlib.asynccontextmanager
    async def guard(self, job_id: str) -> AsyncIterator[bool]:
        """Hold the job's no-overlap guard; yields False when another run of it holds it."""
        with self._mutex:
            if job_id in self._running:
                held = False
            else:
                self._running.add(job_id)
                held = True
        if not held:
            yield False
            return
        try:
            yield True
        finally:
            work = self._work.pop(job_id, None)
            if work is not None and not work.done():  # cancelled, but the thread runs on
                loop = asyncio.get_running_loop()
                work.add_done_callback(lambda _: loop.call_soon_threadsafe(self._free, job_id))
            else:
                self._free(job_id)

    def _free(self, job_id: str) -> None:
        with self._mutex:
            self._running.discard(job_id)
