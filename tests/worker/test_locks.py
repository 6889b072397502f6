"""The per-tick claim script and the no-overlap guard against a real Redis."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
import redis as sync_redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis
from redis.asyncio.connection import SSLConnection

from shared.exceptions import ConfigurationError
from worker import lock_scripts
from worker.locks import ClaimCode, TickLocks
from worker.redis_client import build_redis, redis_endpoint


def _locks(redis_url: str, prefix: str, guard_ttl: float = 30.0, skew: float = 2.0) -> TickLocks:
    return TickLocks(
        build_redis(redis_url),
        prefix=prefix,
        lock_ttl_seconds=60,
        guard_ttl_seconds=guard_ttl,
        max_clock_skew_seconds=skew,
        misfire_grace_seconds=10,
    )


def _now_tick() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def test_one_claim_per_tick_whatever_zone_the_fire_time_is_written_in(
    redis_url: str, key_prefix: str
) -> None:
    async def scenario() -> tuple[list[bool], bool, int, str]:
        tick = _now_tick()
        replicas = [_locks(redis_url, key_prefix) for _ in range(4)]
        seoul = tick.astimezone(timezone(timedelta(hours=9)))
        wins = await asyncio.gather(
            *(r.claim("job", tick if i % 2 else seoul) for i, r in enumerate(replicas))
        )
        next_tick = await replicas[0].claim("job", tick + timedelta(seconds=1))
        ttl = await replicas[0].redis.pttl(replicas[0].tick_key("job", tick))
        owners = {w.detail.split(":")[0] for w in wins if not w}
        winner = next(r.replica_id for r, w in zip(replicas, wins, strict=True) if w)
        for r in replicas:
            await r.redis.aclose()
        return [bool(w) for w in wins], bool(next_tick), ttl, ",".join(owners) + "|" + winner

    wins, next_tick, ttl, owners = asyncio.run(scenario())
    assert sorted(wins) == [False, False, False, True]
    assert next_tick is True  # another tick is another key
    assert 0 < ttl <= 60_000  # expires by itself, never deleted
    named, winner = owners.split("|")
    assert named == winner  # the losers are told who holds the tick


def test_a_re_sent_claim_is_recognised_as_our_own(redis_url: str, key_prefix: str) -> None:
    """redis-py re-sends a command after a socket timeout; the copy must not read as a loss."""

    async def scenario() -> list[int]:
        locks = _locks(redis_url, key_prefix)
        tick_ms = int(_now_tick().timestamp() * 1000)
        keys = [locks.tick_key("job", _now_tick()), locks.epoch_key]
        args: list[str | int] = ["replica-a:1", 60_000, tick_ms, 2000, 10_000]
        first = await locks._claim(keys=keys, args=args)
        resent = await locks._claim(keys=keys, args=args)  # same token: the retry
        other = await locks._claim(keys=keys, args=["replica-b:2", *args[1:]])
        await locks.redis.aclose()
        return [int(first[0]), int(resent[0]), int(other[0])]

    assert asyncio.run(scenario()) == [ClaimCode.WON, ClaimCode.WON, ClaimCode.TAKEN]


def test_the_redis_clock_judges_late_and_early_ticks(redis_url: str, key_prefix: str) -> None:
    async def scenario() -> list[ClaimCode]:
        locks = _locks(redis_url, key_prefix, skew=2.0)  # grace 10 s: window [T-2, T+12]
        now = _now_tick()
        codes = [
            (await locks.claim("job", now - timedelta(seconds=13))).code,  # past T + 12
            (await locks.claim("job", now - timedelta(seconds=11))).code,  # still inside
            (await locks.claim("job", now + timedelta(seconds=4))).code,  # before T - 2
            (await locks.claim("job", now + timedelta(seconds=1))).code,  # within the skew
        ]
        await locks.redis.aclose()
        return codes

    assert asyncio.run(scenario()) == [
        ClaimCode.LATE,
        ClaimCode.WON,
        ClaimCode.EARLY,
        ClaimCode.WON,
    ]


def test_a_redis_without_our_epoch_refuses_ticks_before_epoch_plus_skew(
    redis_url: str, fresh_prefix: str
) -> None:
    async def scenario() -> list[ClaimCode]:
        locks = _locks(redis_url, fresh_prefix, skew=1.0)
        fenced = await locks.claim("job", _now_tick())  # no epoch: as after a restart
        epoch_ms = int(fenced.detail)
        just_before = datetime.fromtimestamp((epoch_ms + 999) / 1000, UTC)
        first_safe = datetime.fromtimestamp((epoch_ms + 1000) / 1000, UTC)  # epoch + skew
        codes = [
            fenced.code,
            (await locks.claim("job", just_before)).code,
            (await locks.claim("job", first_safe)).code,
        ]
        # The same epoch key restored from an old snapshot names another run_id: the
        # restarted server refuses again, persistence or not.
        await locks.redis.set(locks.epoch_key, f"{'0' * 40}:0")
        codes.append((await locks.claim("job", first_safe - timedelta(seconds=0.5))).code)
        await locks.redis.aclose()
        return codes

    assert asyncio.run(scenario()) == [
        ClaimCode.FENCED,
        ClaimCode.FENCED,
        ClaimCode.WON,
        ClaimCode.FENCED,
    ]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    offset_ms=st.integers(min_value=-20_000, max_value=20_000),
    skew_ms=st.sampled_from([0, 500, 3000]),
    grace_ms=st.sampled_from([1000, 5000]),
)
def test_claim_codes_agree_with_the_window_rule(
    redis_url: str, key_prefix: str, offset_ms: int, skew_ms: int, grace_ms: int
) -> None:
    """The script and the README's rule agree: claimable iff T-skew <= now <= T+grace+skew."""
    client = sync_redis.Redis.from_url(redis_url)
    seconds, micros = client.time()
    now_ms = seconds * 1000 + micros // 1000
    tick_ms = now_ms - offset_ms
    margin = 150  # the script reads TIME a moment later
    late, early = offset_ms > grace_ms + skew_ms, offset_ms < -skew_ms
    near = min(abs(offset_ms - grace_ms - skew_ms), abs(offset_ms + skew_ms)) < margin
    script = client.register_script(lock_scripts.CLAIM)
    code = script(
        keys=[f"{key_prefix}tick:prop:{tick_ms}:{offset_ms}", f"{key_prefix}epoch"],
        args=["t", 60_000, tick_ms, skew_ms, grace_ms],
    )[0]
    client.close()
    if near:
        return
    expected = ClaimCode.LATE if late else ClaimCode.EARLY if early else ClaimCode.WON
    assert ClaimCode(int(code)) is expected


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


def test_guard_is_kept_while_a_cancelled_runs_thread_still_works(
    redis_url: str, key_prefix: str
) -> None:
    """Cancelling the run cannot stop its thread: the guard must outlive the cancellation."""

    async def scenario() -> tuple[bool, bool, bool]:
        a = _locks(redis_url, key_prefix, guard_ttl=1.0)
        b = _locks(redis_url, key_prefix, guard_ttl=1.0)
        release = threading.Event()
        pool = concurrent.futures.ThreadPoolExecutor(1)

        async def run() -> None:
            async with a.guard("sync") as held:
                assert held
                work = pool.submit(release.wait, 10)
                a.hold_while("sync", work)  # type: ignore[arg-type]
                await asyncio.wrap_future(work)

        task = asyncio.create_task(run())
        await asyncio.sleep(0.3)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(2.0)  # twice the guard TTL: still held, the thread runs on
        async with b.guard("sync") as during:
            pass
        release.set()
        await asyncio.sleep(0.5)
        async with b.guard("sync") as after:
            pass
        pool.shutdown()
        await a.redis.aclose()
        await b.redis.aclose()
        return True, during, after

    _, during, after = asyncio.run(scenario())
    assert during is False
    assert after is True


def test_rediss_url_builds_a_tls_pool_without_connecting() -> None:
    client: Redis = build_redis("rediss://:secret@cache.example.internal:6380/2")
    pool = client.connection_pool
    assert pool.connection_class is SSLConnection
    assert pool.connection_kwargs["host"] == "cache.example.internal"
    assert pool.connection_kwargs["port"] == 6380
    assert pool.connection_kwargs["db"] == 2
    assert redis_endpoint(client) == "cache.example.internal:6380"  # no password
    plain = build_redis("redis://127.0.0.1:6379/0")
    assert plain.connection_pool.connection_class is not SSLConnection


def test_other_schemes_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="REDIS_URL"):
        build_redis("http://127.0.0.1:6379")


def test_a_re_sent_guard_acquire_or_release_is_recognised_as_our_own(
    redis_url: str, key_prefix: str
) -> None:
    """The old guard's retried ``SET NX`` found its own token and blocked its own run."""

    async def scenario() -> list[int]:
        locks = _locks(redis_url, key_prefix)
        key = [locks.guard_key("job")]
        answers = [
            await locks._acquire(keys=key, args=["run-1", 5000]),
            await locks._acquire(keys=key, args=["run-1", 5000]),  # the re-sent copy
            await locks._acquire(keys=key, args=["run-2", 5000]),  # another run
            await locks._release(keys=key, args=["run-2"]),  # not its guard: kept
            await locks._release(keys=key, args=["run-1"]),
            await locks._release(keys=key, args=["run-1"]),  # the re-sent copy
            await locks._acquire(keys=key, args=["run-2", 5000]),
        ]
        await locks.redis.aclose()
        return [int(a) for a in answers]

    assert asyncio.run(scenario()) == [1, 1, 0, 0, 1, 1, 1]
