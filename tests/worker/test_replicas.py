"""Four real worker processes on one Redis: every tick runs exactly once, skewed clocks too."""

from __future__ import annotations

import math
import signal
import subprocess
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pytest
import redis

from tests.worker.support import PYTHON, REPO, skewed, worker_env

pytestmark = pytest.mark.slow

RUN_SECONDS = 21.0
JOB = "tests.worker.scenarios.every_second"


def _start(
    module: str, redis_url: str, prefix: str, tmp_path: Path, index: int, offset: float
) -> tuple[subprocess.Popen[bytes], Path]:
    alive = tmp_path / f"alive-{index}"
    env = worker_env(
        redis_url,
        prefix,
        tmp_path,
        BATCH_SCHEDULES_PACKAGES=JOB,
        BATCH_HEALTH_FILE=str(alive),
        WORKER_TEST_CLOCK_OFFSET=str(offset),
    )
    if offset:  # the whole process's wall clock moved by libfaketime (LD_PRELOAD)
        env = skewed(env, offset)
    log = (tmp_path / f"worker-{index}.log").open("wb")
    proc = subprocess.Popen([PYTHON, "-m", module], cwd=REPO, env=env, stderr=log, stdout=log)
    return proc, alive


def _counts(redis_url: str, prefix: str) -> dict[float, int]:
    client = redis.Redis.from_url(redis_url)
    counts: dict[float, int] = {}
    for key in client.scan_iter(match=f"{prefix}count:*", count=500):
        stamp = key.decode().split("count:", 1)[1]
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
        counts[when] = int(client.get(key) or 0)
    client.close()
    return counts


def _run_fleet(
    redis_url: str, prefix: str, tmp_path: Path, offsets: Sequence[float], module: str
) -> tuple[dict[float, int], float, float]:
    fleet = [
        _start(module, redis_url, prefix, tmp_path, i, offset) for i, offset in enumerate(offsets)
    ]
    try:
        deadline = time.monotonic() + 60
        while not all(alive.exists() for _, alive in fleet):
            assert all(proc.poll() is None for proc, _ in fleet), "a worker exited at start-up"
            assert time.monotonic() < deadline, "workers did not start within 60 s"
            time.sleep(0.1)
        ready = time.time()
        time.sleep(RUN_SECONDS)
        stopped = time.time()
        for proc, _ in fleet:
            proc.send_signal(signal.SIGTERM)
        codes = [proc.wait(timeout=30) for proc, _ in fleet]
    finally:
        for proc, _ in fleet:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert codes == [0, 0, 0, 0]
    return _counts(redis_url, prefix), ready, stopped


def _assert_exactly_once(counts: dict[float, int], first: float, last: float) -> None:
    duplicated = {t: n for t, n in counts.items() if n != 1}
    assert duplicated == {}, f"ticks run more than once: {duplicated}"
    expected = set(range(math.ceil(first), math.floor(last) + 1))
    assert len(expected) >= 15  # the window really spans many ticks
    missing = sorted(expected - {int(t) for t in counts})
    assert missing == [], f"ticks run by no replica: {missing}"


def test_four_replicas_run_every_tick_exactly_once(
    redis_url: str, key_prefix: str, tmp_path: Path
) -> None:
    counts, ready, stopped = _run_fleet(
        redis_url, key_prefix, tmp_path, [0.0, 0.0, 0.0, 0.0], "worker"
    )
    # Every replica had its scheduler running from `ready` until the SIGTERM at `stopped`,
    # so every whole second in between must have been run, and by one replica only.
    _assert_exactly_once(counts, ready + 1, stopped - 1)


def test_replicas_with_clocks_three_seconds_apart_still_run_each_tick_once(
    redis_url: str, key_prefix: str, tmp_path: Path
) -> None:
    offsets = [0.0, 1.1, 2.2, 3.0]  # the fastest clock is 3 s ahead of the slowest
    counts, ready, stopped = _run_fleet(redis_url, key_prefix, tmp_path, offsets, "worker")
    # A replica 3 s ahead fires tick T at real time T-3, the one on time at T: both compete
    # for the key of tick T, so each tick still runs once. (The note's `SET lock 1 NX EX 5`
    # would be free again 5 s later, and its key does not name the tick.)
    _assert_exactly_once(counts, ready + 1 + max(offsets), stopped - 1)
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    winners = {str(k): int(v) for k, v in client.hgetall(f"{key_prefix}winners").items()}
    client.close()
    assert winners["3.0"] > sum(winners.values()) / 2  # the clock 3 s ahead fires first
