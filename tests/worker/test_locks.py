"""The per-tick claim and the no-overlap guard against a real Redis."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from redis.asyncio import Redis
from redis.asyncio.connection import SSLConnection

from shared.exceptions import ConfigurationError
from worker.locks import TickLocks
from worker.redis_client import build_redis

TICK = datetime(2026, 3, 1, 9, 0, 5, tzinfo=UTC)


def _locks(redis_url: str, prefix: str, guard_ttl: float = 30.0) -> TickLocks:
    return TickLocks(
        build_redis(redis_url),
        prefix=prefix,
        lock_ttl_seconds=60,
        guard_ttl_seconds=guard_ttl,
    )


def test_one_claim_per_tick_whatever_zone_the_fire_time_is_written_in(
    redis_url: str, key_prefix: str
) -> None:
    async def scenario() -> tuple[list[bool], bool, int]:
        replicas = [_locks(redis_url, key_prefix) for _ in range(4)]
        seoul = TICK.astimezone(timezone(timedelta(hours=9)))
        wins = await asyncio.gather(
            *(r.claim("job", TICK if i % 2 else seoul) for i, r in enumerate(replicas))
        )
        next_tick = await replicas[0].claim("job", TICK + timedelta(seconds=1))
        ttl = await replicas[0].redis.pttl(replicas[0].tick_key("job", TICK))
        for r in replicas:
            await r.redis.aclose()
        return list(wins), next_tick, ttl

    wins, next_tick, ttl = asyncio.run(scenario())
    assert sorted(wins) == [False, False, False, True]
    assert next_tick is True  # another tick is another key
    assert 0 < ttl <= 60_000  # expires by itself, never deleted


def test_guard_refuses_a_second_holder_and_is_extended_past_its_ttl(
    redis_url: str, key_prefix: str
) -> None:
    async def scenario() -> tuple[bool, bool, bool]:
        a = _locks(redis_url, key_prefix, guard_ttl=1.0)
        b = _locks(redis_url, key_prefix, guard_ttl=1.0)
        async with a.guard("slow") as held_a:
            await asyncio.sleep(2.2)  # over twice the TTL: only the extension keeps it
            async with b.guard("slow") as held_b:
                pass
        async with b.guard("slow") as held_after:
            pass
        await a.redis.aclose()
        await b.redis.aclose()
        return held_a, held_b, held_after

    held_a, held_b, held_after = asyncio.run(scenario())
    assert held_a is True
    assert held_b is False
    assert held_after is True  # released when the first run ended


def test_rediss_url_builds_a_tls_pool_without_connecting() -> None:
    client: Redis = build_redis("rediss://:secret@cache.example.internal:6380/2")
    pool = client.connection_pool
    assert pool.connection_class is SSLConnection
    assert pool.connection_kwargs["host"] == "cache.example.internal"
    assert pool.connection_kwargs["port"] == 6380
    assert pool.connection_kwargs["db"] == 2
    plain = build_redis("redis://127.0.0.1:6379/0")
    assert plain.connection_pool.connection_class is not SSLConnection


def test_other_schemes_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="REDIS_URL"):
        build_redis("http://127.0.0.1:6379")
