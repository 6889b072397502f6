"""What the exactly-once lock costs per tick, against a bare Redis PING in the same run.

    .venv/bin/python -m bench.lock_overhead [--iterations 20000] [--redis-url redis://...]

Uses REDIS_URL, else 127.0.0.1:6379 when it answers, else a throwaway ``redis-server`` on a
free port. Per tick the worker pays one ``EVALSHA`` of the claim script (``TickLocks.claim``:
own-token check, ``TIME``, the server-side window, the ``run_id`` epoch fence, ``SET NX PX``);
jobs with ``no_overlap=True`` also take and release the guard. The three are measured
interleaved, so machine noise hits them alike. Prints ``name value`` lines, ``ratio``
(tick-lock p50 / PING p50; target <= 2) and ``ratio_p99`` (the same at p99).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import redis

from local.devserver.devenv import free_port
from worker.locks import TickLocks
from worker.redis_client import build_redis


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def _throwaway() -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
    proc = subprocess.Popen([*args, "--save", "", "--appendonly", "no"])
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(200):
        if _answers(url):
            return url, proc
        time.sleep(0.05)
    proc.terminate()
    raise SystemExit("redis-server did not start")


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _measure(url: str, iterations: int) -> dict[str, list[float]]:
    client = build_redis(url)
    prefix = f"bench:lock:{secrets.token_hex(4)}:"
    locks = TickLocks(client, prefix=prefix, lock_ttl_seconds=60, guard_ttl_seconds=30)
    run_id = (await client.info("server"))["run_id"]  # a fleet that has run for a while:
    await client.set(f"{prefix}epoch", f"{run_id}:0")  # no start-up fence
    base = datetime.now(UTC).replace(microsecond=0)
    tick = [0]

    async def ping() -> None:
        await client.ping()

    async def claim() -> None:
        tick[0] += 1
        assert await locks.claim("bench.job", base + timedelta(microseconds=tick[0]))

    async def guarded() -> None:
        tick[0] += 1
        assert await locks.claim("bench.guarded", base + timedelta(microseconds=tick[0]))
        async with locks.guard("bench.guarded") as held:
            assert held

    cases: dict[str, Callable[[], Awaitable[None]]] = {
        "ping": ping,
        "tick_lock": claim,
        "tick_lock_with_guard": guarded,
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for i in range(iterations + 200):
        for name, call in cases.items():
            start = time.perf_counter()
            await call()
            if i >= 200:  # warm-up: connections, code paths
                samples[name].append((time.perf_counter() - start) * 1e6)
    keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
    for chunk in range(0, len(keys), 500):
        await client.delete(*keys[chunk : chunk + 500])
    await client.aclose()
    return samples


def main() -> None:
    """Run the benchmark and print ``name value`` lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20000)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    args = parser.parse_args()
    url, server = args.redis_url, None
    if not url:
        url = "redis://127.0.0.1:6379/0"
        if not _answers(url):
            url, server = _throwaway()
    try:
        samples = asyncio.run(_measure(url, args.iterations))
    finally:
        if server is not None:
            server.terminate()
            server.wait()
    print(f"iterations {args.iterations}")
    for name, values in samples.items():
        print(f"{name}_p50_us {statistics.median(values):.1f}")
        print(f"{name}_p99_us {_pct(values, 0.99):.1f}")
    ping = statistics.median(samples["ping"])
    print(f"ratio_with_guard {statistics.median(samples['tick_lock_with_guard']) / ping:.2f}")
    print(f"ratio {statistics.median(samples['tick_lock']) / ping:.2f}")
    ping99 = _pct(samples["ping"], 0.99)
    print(f"ratio_p99 {_pct(samples['tick_lock'], 0.99) / ping99:.2f}")


if __name__ == "__main__":
    main()
