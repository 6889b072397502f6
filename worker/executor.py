"""An APScheduler executor that tells each run which tick (scheduled fire time) it is.

Why an executor: APScheduler 3 computes the scheduled fire times of a due job and hands them
to the executor (``submit_job(job, run_times)``), but it does not pass them to the job
function. Reading ``job.next_run_time`` inside the function is wrong (the scheduler has
already advanced it to the next tick), and recomputing from the trigger with the local
clock breaks exactly when clocks are skewed or a run starts late. The executor is the one
place that holds the exact value, so it publishes each fire time in a ``ContextVar`` for the
duration of that run, then delegates to APScheduler's own ``run_coroutine_job`` (misfire
checks and events unchanged). Every job the worker registers is a coroutine function (plain
functions are sent to a thread by the runner), so this coroutine path is the only path.

It also keeps its running tasks so a graceful stop can wait for them (the stock
``AsyncIOExecutor.shutdown`` cancels them at once), and it decides the ticks that never reach
a job: the worker registers jobs with APScheduler's ``coalesce`` off and no misfire limit, so
every due fire time arrives here and ``triage`` logs the late (``skipped:misfire``) and
folded (``coalesced``) ones; a ``max_instances`` refusal is logged per tick by ``refuse``
instead of APScheduler's bare warning.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.executors.base import run_coroutine_job

FIRE_TIME: ContextVar[datetime] = ContextVar("batch_fire_time")


def current_fire_time() -> datetime:
    """Return the scheduled fire time of the tick being run (only inside a run)."""
    try:
        return FIRE_TIME.get()
    except LookupError:
        raise RuntimeError("not inside a batch run started by TickExecutor") from None


class TickExecutor(AsyncIOExecutor):  # type: ignore[misc]
    """Runs coroutine jobs on the scheduler's loop with ``FIRE_TIME`` set per tick."""

    def __init__(
        self,
        triage: Callable[[str, list[datetime]], list[datetime]] | None = None,
        refuse: Callable[[str, list[datetime]], None] | None = None,
    ) -> None:
        super().__init__()
        self._runs: set[asyncio.Task[list[Any]]] = set()
        self._triage = triage or (lambda _job_id, run_times: run_times)
        self._refuse = refuse or (lambda _job_id, _run_times: None)

    def submit_job(self, job: Any, run_times: list[datetime]) -> None:
        """Decide skipped and coalesced ticks, then run the rest (never raises for a cap)."""
        run_times = self._triage(job.id, list(run_times))
        if not run_times:
            return
        with self._lock:
            if self._instances[job.id] >= job.max_instances:
                self._refuse(job.id, run_times)
                return
            self._do_submit_job(job, run_times)
            self._instances[job.id] += 1

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        alias = job._jobstore_alias
        logger_name = self._logger.name

        async def run_each() -> list[Any]:
            events: list[Any] = []
            for run_time in run_times:  # more than one only with coalesce=False
                token = FIRE_TIME.set(run_time)
                try:
                    events.extend(await run_coroutine_job(job, alias, [run_time], logger_name))
                finally:
                    FIRE_TIME.reset(token)
            return events

        def done(task: asyncio.Task[list[Any]]) -> None:
            self._runs.discard(task)
            self._pending_futures.discard(task)
            try:
                events = task.result()
            except BaseException:
                self._run_job_error(job.id, *sys.exc_info()[1:])
            else:
                self._run_job_success(job.id, events)

        task = self._eventloop.create_task(run_each())
        self._runs.add(task)
        self._pending_futures.add(task)
        task.add_done_callback(done)

    @property
    def running(self) -> int:
        """How many runs are in progress."""
        return len(self._runs)

    async def drain(self, grace: float) -> int:
        """Wait up to ``grace`` seconds for running jobs; return how many are still running."""
        if self._runs:
            await asyncio.wait(set(self._runs), timeout=grace)
        return len([task for task in self._runs if not task.done()])
