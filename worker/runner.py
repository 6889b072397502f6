"""One tick of one job: reserve a thread, claim it, guard it, run it, time it, alert, log.

Every tick ends in exactly one decision line (``worker.decisions``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import traceback
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from redis.exceptions import RedisError

from shared.settings import Settings
from worker.alerts import Alerter
from worker.context import JobContext
from worker.decisions import Decision, log_decision, triage
from worker.executor import current_fire_time
from worker.locks import ClaimCode, ClaimResult, TickLockBackend, tick_stamp
from worker.registry import JobSpec
from worker.sync_pool import Slot, SyncPool

log = logging.getLogger("worker.runner")

_REFUSED = {
    ClaimCode.TAKEN: Decision.OTHER_REPLICA,
    ClaimCode.FENCED: Decision.REDIS_RESTARTED,
    ClaimCode.LATE: Decision.MISFIRE,
    ClaimCode.EARLY: Decision.CLOCK_SKEW,
}


class JobRunner:
    """Turns job specs into the coroutine functions the scheduler calls."""

    def __init__(
        self,
        settings: Settings,
        locks: TickLockBackend,
        alerter: Alerter,
        *,
        replica_id: str = "",
        pool: SyncPool | None = None,
    ) -> None:
        self.settings = settings
        self.locks = locks
        self.alerter = alerter
        self.replica_id = replica_id or locks.replica_id
        self.pool = pool or SyncPool(settings.batch_sync_pool_size)
        self.specs: dict[str, JobSpec] = {}
        self.running_async: dict[str, str] = {}  # job id -> tick of async runs on the loop
        self._redis_ok = True

    def grace_of(self, spec: JobSpec) -> float:
        """The misfire grace of ``spec`` in seconds."""
        return float(spec.misfire_grace_seconds or self.settings.batch_misfire_grace_seconds)

    def callable_for(self, spec: JobSpec) -> Callable[[], Awaitable[None]]:
        """The coroutine function to register with APScheduler for ``spec``."""
        self.specs[spec.job_id] = spec

        async def run_tick() -> None:
            await self.run_tick(spec, current_fire_time())

        run_tick.__name__ = run_tick.__qualname__ = spec.job_id
        return run_tick

    def triage(self, job_id: str, run_times: list[datetime]) -> list[datetime]:
        """Log the ticks that will not run (misfire, coalesced); return the ones to run."""
        spec = self.specs[job_id]
        return triage(
            job_id,
            run_times,
            grace=self.grace_of(spec),
            coalesce=spec.coalesce,
            replica=self.replica_id,
        )

    def refuse(self, job_id: str, run_times: list[datetime]) -> None:
        """The per-replica ``max_instances`` cap refused these ticks."""
        for run_time in run_times:
            self._decide(job_id, run_time, Decision.MAX_INSTANCES)

    def _decide(self, job_id: str, fire_time: datetime, decision: Decision, **extra: Any) -> None:
        log_decision(job_id, fire_time, decision, self.replica_id, **extra)

    async def run_tick(self, spec: JobSpec, fire_time: datetime) -> Decision:
        """Run ``spec`` for the tick ``fire_time`` if this replica wins it."""
        slot = None if spec.is_async else self.pool.reserve()
        if not spec.is_async and slot is None:
            self._decide(spec.job_id, fire_time, Decision.POOL_FULL, pool_size=self.pool.size)
            await self.alerter.pool_full(self.replica_id, self.pool.size, spec.job_id, fire_time)
            return Decision.POOL_FULL
        try:
            claim = await self.locks.claim(spec.job_id, fire_time, self.grace_of(spec))
            self._redis_back()
            if not claim:
                return await self._refused(spec, fire_time, claim)
            if not spec.no_overlap:
                self._decide(spec.job_id, fire_time, Decision.RAN)
                await self._execute(spec, fire_time, slot)
                return Decision.RAN
            async with self.locks.guard(spec.job_id) as held:
                if not held:
                    self._decide(spec.job_id, fire_time, Decision.STILL_RUNNING)
                    return Decision.STILL_RUNNING
                self._decide(spec.job_id, fire_time, Decision.RAN)
                await self._execute(spec, fire_time, slot)
                return Decision.RAN
        except RedisError as exc:  # only lock calls reach here: _execute never raises
            self._redis_ok = False
            reason = self.alerter.reason(exc)
            self._decide(spec.job_id, fire_time, Decision.REDIS_DOWN, error=reason)
            await self.alerter.redis_down(reason)
            return Decision.REDIS_DOWN
        finally:
            if slot is not None:
                slot.free()  # a no-op once the job's thread has it

    async def _refused(self, spec: JobSpec, fire_time: datetime, claim: ClaimResult) -> Decision:
        decision = _REFUSED[claim.code]
        extra: dict[str, Any] = {"server_ms": claim.server_ms}
        if claim.code is ClaimCode.TAKEN:
            extra["owner"] = claim.detail.split(":", 1)[0]
        if claim.code is ClaimCode.LATE:
            extra["judged_by"] = "redis"
        if claim.code is ClaimCode.FENCED:
            extra["epoch_ms"] = claim.detail
            await self.alerter.redis_restarted(claim.detail)
        if claim.code is ClaimCode.EARLY:
            await self.alerter.clock_skew(self.replica_id, fire_time, claim.server_ms)
        self._decide(spec.job_id, fire_time, decision, **extra)
        return decision

    def _redis_back(self) -> None:
        if not self._redis_ok:
            self._redis_ok = True
            log.warning("redis reachable again", extra={"replica": self.replica_id})

    async def _call(self, spec: JobSpec, fire_time: datetime, slot: Slot | None) -> None:
        args: tuple[Any, ...] = ()
        if spec.wants_context:
            args = (
                JobContext(
                    job_id=spec.job_id,
                    fire_time=fire_time,
                    settings=self.settings,
                    redis=self.locks.redis,
                    alerter=self.alerter,
                    log=logging.getLogger(f"worker.job.{spec.job_id}"),
                ),
            )
        if spec.is_async:
            self.running_async[spec.job_id] = tick_stamp(fire_time)
            try:
                await spec.func(*args)
            finally:
                self.running_async.pop(spec.job_id, None)
            return
        assert slot is not None, "a plain job runs in the thread slot reserved for it"
        work = slot.submit(spec.func, *args)
        if spec.no_overlap:
            self.locks.hold_while(spec.job_id, work)
        await asyncio.wrap_future(work)

    async def _execute(self, spec: JobSpec, fire_time: datetime, slot: Slot | None) -> None:
        """Run the job; report failure and slowness; never raise (except cancellation)."""
        budget = spec.time_budget_seconds or self.settings.batch_time_budget_seconds
        started = time.monotonic()
        task = asyncio.create_task(self._call(spec, fire_time, slot))
        outcome = "ok"
        try:
            done, _ = await asyncio.wait({task}, timeout=budget)
            if not done:  # alert while it still runs, so a hung job is noticed
                await self.alerter.job_slow(
                    spec.job_id, fire_time, time.monotonic() - started, budget
                )
            await task
        except asyncio.CancelledError:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
            outcome = "cancelled" if spec.is_async else "abandoned: thread still running"
            raise
        except Exception:
            outcome = "failed"
            trace = traceback.format_exc()
            log.exception("batch job failed", extra={"job_id": spec.job_id})
            await self.alerter.job_failed(spec.job_id, fire_time, trace)
        finally:
            log.info(
                "batch job finished",
                extra={
                    "job_id": spec.job_id,
                    "tick": tick_stamp(fire_time),
                    "outcome": outcome,
                    "duration_seconds": round(time.monotonic() - started, 3),
                    "replica": self.replica_id,
                },
            )
