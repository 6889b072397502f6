"""Redis locks: one claim per (job, tick) for at-most-once, and an opt-in no-overlap guard.

The tick claim is one Lua script (``worker.lock_scripts.CLAIM``) on the Redis server. The key
``<prefix>tick:<job>:<fire time>`` names the scheduled fire time, is never deleted and expires
after ``BATCH_LOCK_TTL_SECONDS``. The script judges the claim against the server's clock
(``TIME``), not the replica's, and refuses ticks that this Redis cannot vouch for: a tick is
claimable only while the server's clock is within [tick - skew, tick + misfire grace + skew],
and not before ``epoch + skew``, where the epoch is when this Redis process (``run_id``) first
answered a claim of this prefix. The README's lock section gives the reasoning.

The guard is ``<prefix>running:<job>`` holding this run's token, taken and extended by
own-token-aware scripts, kept while the job really runs (a plain job's thread included),
released by token.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from worker import lock_scripts

log = logging.getLogger("worker.locks")


def tick_stamp(fire_time: datetime) -> str:
    """The fire time as a UTC ISO string: identical on every replica for the same tick."""
    return fire_time.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class ClaimCode(IntEnum):
    """What the claim script answered."""

    TAKEN = 0  # another token holds the tick
    WON = 1  # this replica holds the tick (now, or already: a re-sent claim)
    FENCED = 2  # the tick is older than this Redis's epoch + skew: it may have run before
    LATE = 3  # the server's clock is past tick + grace + skew
    EARLY = 4  # the server's clock is before tick - skew: this replica's clock is too fast


@dataclass(frozen=True)
class ClaimResult:
    """A claim's answer; true only when this replica owns the tick."""

    code: ClaimCode
    detail: str = ""  # TAKEN: the owner's token; FENCED: the epoch (server ms)
    server_ms: int = 0

    def __bool__(self) -> bool:
        return self.code is ClaimCode.WON


class TickLockBackend(Protocol):
    """What ``JobRunner`` needs from a lock backend: ``TickLocks`` (Redis) or
    ``worker.memory_locks.MemoryTickLocks`` (one process, ``BATCH_LOCK_BACKEND=memory``)."""

    @property
    def replica_id(self) -> str: ...

    @property
    def redis(self) -> Redis | None: ...

    async def claim(
        self, job_id: str, fire_time: datetime, grace_seconds: float | None = None
    ) -> ClaimResult: ...

    def guard(self, job_id: str) -> AbstractAsyncContextManager[bool]: ...

    def hold_while(self, job_id: str, work: concurrent.futures.Future[object]) -> None: ...


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
        max_clock_skew_seconds: float = 5.0,
        misfire_grace_seconds: float = 30.0,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.lock_ttl_ms = int(lock_ttl_seconds * 1000)
        self.guard_ttl = guard_ttl_seconds
        self.skew_ms = int(max_clock_skew_seconds * 1000)
        self.grace_ms = int(misfire_grace_seconds * 1000)
        self.replica_id = replica_id or secrets.token_hex(6)
        self._claim = redis.register_script(lock_scripts.CLAIM)
        self._acquire = redis.register_script(lock_scripts.ACQUIRE)
        self._extend = redis.register_script(lock_scripts.EXTEND)
        self._release = redis.register_script(lock_scripts.RELEASE)
        self._work: dict[str, concurrent.futures.Future[object]] = {}
        self._pending: set[asyncio.Task[None]] = set()

    def tick_key(self, job_id: str, fire_time: datetime) -> str:
        """The Redis key of one tick of one job."""
        return f"{self.prefix}tick:{job_id}:{tick_stamp(fire_time)}"

    def guard_key(self, job_id: str) -> str:
        """The Redis key of the no-overlap guard of one job."""
        return f"{self.prefix}running:{job_id}"

    @property
    def epoch_key(self) -> str:
        """``<run_id>:<server ms>``: which Redis process vouches for ticks since when."""
        return f"{self.prefix}epoch"

    async def claim(
        self, job_id: str, fire_time: datetime, grace_seconds: float | None = None
    ) -> ClaimResult:
        """Try to own this tick (one script call). Raises ``RedisError``."""
        token = f"{self.replica_id}:{secrets.token_hex(4)}"
        grace_ms = self.grace_ms if grace_seconds is None else int(grace_seconds * 1000)
        tick_ms = int(fire_time.timestamp() * 1000)
        code, detail, now = await self._claim(
            keys=[self.tick_key(job_id, fire_time), self.epoch_key],
            args=[token, self.lock_ttl_ms, tick_ms, self.skew_ms, grace_ms],
        )
        text = detail.decode() if isinstance(detail, bytes) else str(detail)
        return ClaimResult(ClaimCode(int(code)), text, int(now))

    def hold_while(self, job_id: str, work: concurrent.futures.Future[object]) -> None:
        """Keep ``job_id``'s guard (extended) until ``work`` (a thread) has really ended."""
        self._work[job_id] = work

    @contextlib.asynccontextmanager
    async def guard(self, job_id: str) -> AsyncIterator[bool]:
        """Hold the job's no-overlap lock; yields False when another run holds it.

        Acquiring raises ``RedisError`` when Redis is unreachable; errors while extending
        or releasing are logged, never raised into the job. When the block is left while a
        thread registered with ``hold_while`` still runs (the run was cancelled), the guard
        stays held and extended until that thread ends.
        """
        key, token = self.guard_key(job_id), f"{self.replica_id}:{secrets.token_hex(8)}"
        ttl_ms = int(self.guard_ttl * 1000)
        if not await self._acquire(keys=[key], args=[token, ttl_ms]):
            yield False
            return
        keeper = asyncio.create_task(self._keep(key, token, job_id))
        try:
            yield True
        finally:
            work = self._work.pop(job_id, None)
            if work is not None and not work.done():
                log.error(
                    "sync job thread cannot be stopped: guard kept until it ends",
                    extra={"job_id": job_id, "replica": self.replica_id},
                )
                loop = asyncio.get_running_loop()
                work.add_done_callback(
                    lambda _: loop.call_soon_threadsafe(self._later, keeper, key, token, job_id)
                )
            else:
                await self._end(keeper, key, token, job_id)

    def _later(self, keeper: asyncio.Task[None], key: str, token: str, job_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._end(keeper, key, token, job_id))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _end(self, keeper: asyncio.Task[None], key: str, token: str, job_id: str) -> None:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
        try:
            await self._release(keys=[key], args=[token])
        except RedisError as exc:
            log.warning("guard release failed", extra={"job_id": job_id, "error": repr(exc)})

    async def _keep(self, key: str, token: str, job_id: str) -> None:
        interval, ttl_ms = self.guard_ttl / 3, int(self.guard_ttl * 1000)
        while True:
            await asyncio.sleep(interval)
            try:
                if not await self._extend(keys=[key], args=[token, ttl_ms]):
                    log.error("guard lost while running", extra={"job_id": job_id})
            except RedisError as exc:
                log.warning("guard extend failed", extra={"job_id": job_id, "error": repr(exc)})
