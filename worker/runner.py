"""One tick of one job: claim it, guard it, run it, time it, alert, and log the decision."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import traceback
from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

from redis.exceptions import RedisError

from shared.settings import Settings
from worker.alerts import Alerter
from worker.context import JobContext
from worker.executor import current_fire_time
from worker.locks import TickLockBackend, tick_stamp
from worker.registry import JobSpec

log = logging.getLogger("worker.runner")


class Decision(StrEnum):
    """What this replica did with one tick; logged as ``decision``."""

    RAN = "ran"
    OTHER_REPLICA = "skipped:other_replica"
    STILL_RUNNING = "skipped:still_running"
    REDIS_DOWN = "skipped:redis_down"


class JobRunner:
    """Turns job specs into the coroutine functions the scheduler calls."""

    def __init__(
        self,
        settings: Settings,
        locks: TickLockBackend,
        alerter: Alerter,
        *,
        replica_id: str = "",
    ) -> None:
        self.settings = settings
        self.locks = locks
        self.alerter = alerter
        self.replica_id = replica_id or locks.replica_id
        self._redis_ok = True

    def callable_for(self, spec: JobSpec) -> Callable[[], Awaitable[None]]:
        """The coroutine function to register with APScheduler for ``spec``."""

        async def run_tick() -> None:
            await self.run_tick(spec, current_fire_time())

        run_tick.__name__ = run_tick.__qualname__ = spec.job_id
        return run_tick

    def _decide(self, spec: JobSpec, fire_time: datetime, decision: Decision, **extra: Any) -> None:
        level = logging.WARNING if decision is Decision.REDIS_DOWN else logging.INFO
        fields = {
            "job_id": spec.job_id,
            "tick": tick_stamp(fire_time),
            "decision": str(decision),
            "replica": self.replica_id,
        }
        log.log(level, "batch tick %s", decision, extra={**fields, **extra})

    async def run_tick(self, spec: JobSpec, fire_time: datetime) -> Decision:
        """Run ``spec`` for the tick ``fire_time`` if this replica wins it."""
        try:
            if not await self.locks.claim(spec.job_id, fire_time):
                self._decide(spec, fire_time, Decision.OTHER_REPLICA)
                return Decision.OTHER_REPLICA
            if not spec.no_overlap:
                self._redis_back()
                self._decide(spec, fire_time, Decision.RAN)
                await self._execute(spec, fire_time)
                return Decision.RAN
            async with self.locks.guard(spec.job_id) as held:
                self._redis_back()
                if not held:
                    self._decide(spec, fire_time, Decision.STILL_RUNNING)
                    return Decision.STILL_RUNNING
                self._decide(spec, fire_time, Decision.RAN)
                await self._execute(spec, fire_time)
                return Decision.RAN
        except RedisError as exc:  # only lock calls reach here: _execute never raises
            self._redis_ok = False
            self._decide(spec, fire_time, Decision.REDIS_DOWN, error=repr(exc))
            await self.alerter.redis_down(repr(exc))
            return Decision.REDIS_DOWN

    def _redis_back(self) -> None:
        if not self._redis_ok:
            self._redis_ok = True
            log.warning("redis reachable again", extra={"replica": self.replica_id})

    async def _call(self, spec: JobSpec, fire_time: datetime) -> None:
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
            await spec.func(*args)
        else:
            await asyncio.to_thread(spec.func, *args)

    async def _execute(self, spec: JobSpec, fire_time: datetime) -> None:
        """Run the job; report failure and slowness; never raise (except cancellation)."""
        budget = spec.time_budget_seconds or self.settings.batch_time_budget_seconds
        started = time.monotonic()
        task = asyncio.create_task(self._call(spec, fire_time))
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
            outcome = "cancelled"
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
