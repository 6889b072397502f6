"""``BatchWorker``: one replica's scheduler, locks (Redis or in-process), alerts, heartbeat,
sync-job pool and loop watchdog."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Sequence

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from redis.asyncio import Redis

from shared.exceptions import ConfigurationError
from shared.settings import Settings
from worker import health
from worker.alerts import Alerter
from worker.discovery import discover
from worker.executor import TickExecutor
from worker.guarantees import check_guarantees
from worker.locks import TickLockBackend, TickLocks
from worker.memory_locks import SINGLE_REPLICA_WARNING, MemoryTickLocks
from worker.redis_client import build_redis, redis_endpoint
from worker.registry import DEFAULT_REGISTRY, Registry
from worker.runner import JobRunner
from worker.triggers import build_trigger, zone
from worker.watchdog import LoopWatchdog

log = logging.getLogger("worker.service")


class BatchWorker:
    """Loads the declared jobs of the configured packages into its own ``AsyncIOScheduler``."""

    def __init__(
        self,
        settings: Settings,
        *,
        registry: Registry | None = None,
        packages: Sequence[str] | None = None,
        redis: Redis | None = None,
        alerter: Alerter | None = None,
        replica_id: str | None = None,
    ) -> None:
        check_guarantees(settings)
        self.replica_id = replica_id or secrets.token_hex(6)
        self.locks: TickLockBackend
        if settings.batch_lock_backend == "memory":  # said first, before anything else is logged
            log.warning(SINGLE_REPLICA_WARNING, extra={"replica": self.replica_id})
            self.locks = MemoryTickLocks(
                lock_ttl_seconds=settings.batch_lock_ttl_seconds, replica_id=self.replica_id
            )
        else:
            if redis is None:
                if settings.redis_url is None:
                    raise ConfigurationError("missing required setting for the worker: REDIS_URL")
                redis = build_redis(
                    settings.redis_url.get_secret_value(),
                    timeout_seconds=settings.batch_redis_timeout_seconds,
                )
            self.locks = TickLocks(
                redis,
                prefix=settings.batch_key_prefix,
                lock_ttl_seconds=settings.batch_lock_ttl_seconds,
                guard_ttl_seconds=settings.batch_guard_ttl_seconds,
                replica_id=self.replica_id,
                max_clock_skew_seconds=settings.batch_max_clock_skew_seconds,
                misfire_grace_seconds=settings.batch_misfire_grace_seconds,
            )
        webhook = settings.slack_webhook_url
        self.settings = settings
        self.registry = registry or DEFAULT_REGISTRY
        self.packages = tuple(packages or settings.batch_schedules_packages)
        self.redis = redis
        self.alerter = alerter or Alerter(
            webhook.get_secret_value() if webhook else None,
            stack_trace_limit=settings.batch_stack_trace_limit,
            redis_alert_interval_seconds=settings.batch_redis_alert_interval_seconds,
            endpoint=redis_endpoint(redis) if redis is not None else "in-process",
            redis=redis,
            prefix=settings.batch_key_prefix,
        )
        self.runner = JobRunner(settings, self.locks, self.alerter, replica_id=self.replica_id)
        self.executor = TickExecutor(self.runner.triage, self.runner.refuse)
        self.watchdog = LoopWatchdog(
            settings.batch_loop_lag_alert_seconds,
            webhook_url=webhook.get_secret_value() if webhook else None,
            replica=self.replica_id,
            running=lambda: dict(self.runner.running_async),
        )
        self.scheduler: AsyncIOScheduler | None = None
        self.health_file = health.health_path(settings)
        self._heartbeat: asyncio.Task[None] | None = None

    def build_scheduler(self) -> AsyncIOScheduler:
        """Discover the job modules and add their jobs to a new (not started) scheduler."""
        tz = zone(self.settings.batch_timezone)
        discover(self.packages)
        scheduler = AsyncIOScheduler(timezone=tz, executors={"default": self.executor})
        specs = self.registry.jobs(self.packages)
        check_guarantees(self.settings, specs)
        for spec in specs:
            scheduler.add_job(  # misfire and coalesce are decided per tick by the executor
                self.runner.callable_for(spec),
                trigger=build_trigger(spec, tz),
                id=spec.job_id,
                name=spec.name,
                misfire_grace_time=None,
                coalesce=False,
                max_instances=spec.max_instances,
                replace_existing=True,
            )
        log.info(
            "batch jobs loaded",
            extra={"jobs": [spec.job_id for spec in specs], "replica": self.replica_id},
        )
        return scheduler

    async def start(self) -> None:
        """Build and start the scheduler and the heartbeat (call inside the event loop)."""
        self.scheduler = self.build_scheduler()
        self.scheduler.start()
        self._heartbeat = asyncio.create_task(self._beat())
        self.watchdog.start()
        log.info("batch worker started", extra={"replica": self.replica_id})

    async def _beat(self) -> None:
        while True:
            if self.scheduler is not None and self.scheduler.running:
                try:  # on the loop itself: a blocked loop must show as a stale heartbeat
                    health.beat(self.health_file)
                except OSError as exc:
                    log.error("heartbeat not written", extra={"error": repr(exc)})
            await asyncio.sleep(self.settings.batch_heartbeat_seconds)

    async def stop(self, grace_seconds: float | None = None) -> bool:
        """No new ticks; wait up to the grace period for running jobs; close clients.

        Returns True when every running job finished within the grace period.
        """
        grace = self.settings.batch_grace_period_seconds if grace_seconds is None else grace_seconds
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.pause()  # no new ticks from here on
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        health.clear(self.health_file)
        await self.watchdog.stop()
        running = self.executor.running
        log.info("batch worker stopping", extra={"running_jobs": running, "grace": grace})
        left = await self.executor.drain(grace)
        if left:
            log.error("grace period over; abandoning running jobs", extra={"abandoned": left})
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)  # cancels async runs still going
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down via call_soon
        await self.executor.drain(0.5)  # let cancelled runs unwind
        self.runner.pool.shutdown()
        if self.redis is not None:
            await self.redis.aclose()
        log.info("batch worker stopped", extra={"replica": self.replica_id})
        return left == 0
