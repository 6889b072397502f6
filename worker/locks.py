"""Redis locks: one claim per (job, tick) for exactly-once, and an opt-in no-overlap guard.

The tick claim is ``SET <prefix>tick:<job>:<fire time> <token> NX PX <ttl>``. The key names
the scheduled fire time, not the moment a replica woke up, so replicas whose clocks differ by
seconds (or that start the run late) still compete for the same key. It is never deleted:
releasing it when a fast job ends would let a replica whose clock runs behind claim the same
tick again. It expires after ``BATCH_LOCK_TTL_SECONDS``, which must exceed the largest clock
skew plus the misfire grace time.

The guard is a redis-py ``Lock`` (token-checked release, ``blocking=False``) on
``<prefix>running:<job>``, extended every third of its TTL while the job runs, so a crashed
replica frees it after one TTL and a live one never loses it mid-run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import LockError, RedisError

log = logging.getLogger("worker.locks")


def tick_stamp(fire_time: datetime) -> str:
    """The fire time as a UTC ISO string: identical on every replica for the same tick."""
    return fire_time.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class TickLockBackend(Protocol):
    """What ``JobRunner`` needs from a lock backend: ``TickLocks`` (Redis) or
    ``worker.memory_locks.MemoryTickLocks`` (one process, ``BATCH_LOCK_BACKEND=memory``)."""

    @property
    def replica_id(self) -> str: ...

    @property
    def redis(self) -> Redis | None: ...

    async def claim(self, job_id: str, fire_time: datetime) -> bool: ...

    def guard(self, job_id: str) -> AbstractAsyncContextManager[bool]: ...


class TickLocks:
    """Claims ticks and guards runs for one replica."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        lock_ttl_seconds: float,
        guard_ttl_seconds: float,
        replica_id: str | None = None,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.lock_ttl_ms = int(lock_ttl_seconds * 1000)
        self.guard_ttl = guard_ttl_seconds
        self.replica_id = replica_id or secrets.token_hex(6)

    def tick_key(self, job_id: str, fire_time: datetime) -> str:
        """The Redis key of one tick of one job."""
        return f"{self.prefix}tick:{job_id}:{tick_stamp(fire_time)}"

    def guard_key(self, job_id: str) -> str:
        """The Redis key of the no-overlap guard of one job."""
        return f"{self.prefix}running:{job_id}"

    async def claim(self, job_id: str, fire_time: datetime) -> bool:
        """Try to own this tick; True for exactly one caller per tick. Raises ``RedisError``."""
        token = f"{self.replica_id}:{secrets.token_hex(4)}"
        won = await self.redis.set(
            self.tick_key(job_id, fire_time), token, nx=True, px=self.lock_ttl_ms
        )
        return bool(won)

    @contextlib.asynccontextmanager
    async def guard(self, job_id: str) -> AsyncIterator[bool]:
        """Hold the job's no-overlap lock; yields False when another run holds it.

        Acquiring raises ``RedisError`` when Redis is unreachable; errors while extending
        or releasing are logged, never raised into the job.
        """
        lock = self.redis.lock(
            self.guard_key(job_id), timeout=self.guard_ttl, blocking=False, thread_local=False
        )
        if not await lock.acquire():
            yield False
            return
        keeper = asyncio.create_task(self._keep(lock, job_id))
        try:
            yield True
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            try:
                await lock.release()
            except (LockError, RedisError) as exc:
                log.warning("guard release failed", extra={"job_id": job_id, "error": repr(exc)})

    async def _keep(self, lock: object, job_id: str) -> None:
        interval = self.guard_ttl / 3
        while True:
            await asyncio.sleep(interval)
            try:
                await lock.extend(self.guard_ttl, replace_ttl=True)  # type: ignore[attr-defined]
            except (LockError, RedisError) as exc:
                log.warning("guard extend failed", extra={"job_id": job_id, "error": repr(exc)})
