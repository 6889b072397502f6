"""The in-process lock (BATCH_LOCK_BACKEND=memory): per-tick claims, the guard, a real worker."""

from __future__ import annotations

import asyncio
import json
import math
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from shared.settings import Settings
from tests.worker.support import PYTHON, REPO, worker_env
from worker.memory_locks import MemoryTickLocks

TICK = datetime(2026, 3, 1, 9, 0, 5, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_tick_is_claimed_once_until_its_claim_expires() -> None:
    clock = FakeClock()
    locks = MemoryTickLocks(lock_ttl_seconds=60, clock=clock)
    seoul = TICK.astimezone(timezone(timedelta(hours=9)))  # the same tick, another zone

    async def scenario() -> list[bool]:
        first = await locks.claim("job", TICK)
        again = await locks.claim("job", seoul)
        other_tick = await locks.claim("job", TICK + timedelta(seconds=1))
        other_job = await locks.claim("other", TICK)
        clock.now += 59.9
        before_ttl = await locks.claim("job", TICK)
        clock.now += 0.2
        after_ttl = await locks.claim("job", TICK)
        return [bool(x) for x in (first, again, other_tick, other_job, before_ttl, after_ttl)]

    assert asyncio.run(scenario()) == [True, False, True, True, False, True]


def test_concurrent_claims_of_one_tick_have_one_winner() -> None:
    locks = MemoryTickLocks(lock_ttl_seconds=60)

    async def scenario() -> list[bool]:
        claims = await asyncio.gather(*(locks.claim("job", TICK) for _ in range(8)))
        return [bool(x) for x in claims]

    assert sorted(asyncio.run(scenario())) == [False] * 7 + [True]


def test_guard_refuses_overlap_while_held_and_is_free_after() -> None:
    locks = MemoryTickLocks(lock_ttl_seconds=60)

    async def scenario() -> tuple[bool, bool, bool, bool]:
        async with locks.guard("slow") as held_a:
            async with locks.guard("slow") as held_b:
                pass
            async with locks.guard("another") as held_other:
                pass
        async with locks.guard("slow") as held_after:
            pass
        return held_a, held_b, held_other, held_after

    assert asyncio.run(scenario()) == (True, False, True, True)


def test_guard_is_released_when_the_job_raises() -> None:
    locks = MemoryTickLocks(lock_ttl_seconds=60)

    async def scenario() -> bool:
        with pytest.raises(RuntimeError):
            async with locks.guard("job"):
                raise RuntimeError("job failed")
        async with locks.guard("job") as held:
            return held

    assert asyncio.run(scenario()) is True


def test_memory_backend_needs_no_redis_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("BATCH_LOCK_BACKEND", "memory")
    assert Settings().missing_for("worker") == []
    monkeypatch.setenv("BATCH_LOCK_BACKEND", "redis")
    assert Settings().missing_for("worker") == ["REDIS_URL"]


@pytest.mark.slow
def test_worker_process_with_the_memory_lock_runs_every_tick_once(tmp_path: Path) -> None:
    alive = tmp_path / "alive"
    env = worker_env(
        "unused",
        "test:memory:",
        tmp_path,
        BATCH_LOCK_BACKEND="memory",
        BATCH_SCHEDULES_PACKAGES="tests.worker.scenarios.every_second_file",
        BATCH_HEALTH_FILE=str(alive),
    )
    del env["REDIS_URL"]
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([PYTHON, "-m", "worker"], cwd=REPO, env=env, stderr=log, stdout=log)
    try:
        deadline = time.monotonic() + 60
        while not alive.exists():
            assert proc.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "the worker did not start within 60 s"
            time.sleep(0.1)
        ready = time.time()
        time.sleep(5)
        stopped = time.time()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = log_path.read_text().splitlines()
    assert code == 0, lines
    first = json.loads(lines[0])
    assert "single replica with an in-process lock" in first["message"]
    assert "not safe for more than one replica" in first["message"]
    assert not any("redis" in json.loads(x).get("decision", "") for x in lines if x.startswith("{"))
    ticks = (tmp_path / "ticks.log").read_text().splitlines()
    stamps = [line.split()[0] for line in ticks]
    assert len(stamps) == len(set(stamps)), "a tick ran twice"
    assert all(line.endswith("redis=False") for line in ticks)  # jobs see no Redis client
    seen = {int(datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()) for s in stamps}
    expected = set(range(math.ceil(ready + 1), math.floor(stopped - 1) + 1))
    assert len(expected) >= 3
    assert sorted(expected - seen) == [], "ticks the worker did not run"
