"""A real worker process survives Redis going away and stops gracefully on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from tests.worker.support import PYTHON, REPO, RedisServer, worker_env

pytestmark = pytest.mark.slow


def _wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _spawn(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    return subprocess.Popen([PYTHON, "-m", "worker"], cwd=REPO, env=env, stdout=out, stderr=out)


def _tick_count(url: str, prefix: str) -> int:
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        return sum(1 for _ in client.scan_iter(match=f"{prefix}count:*"))
    finally:
        client.close()


def test_worker_survives_redis_restart_and_runs_later_ticks(
    key_prefix: str, tmp_path: Path
) -> None:
    server = RedisServer().start()  # its own server: stopping it disturbs no other test
    alive = tmp_path / "alive"
    env = worker_env(
        server.url,
        key_prefix,
        tmp_path,
        BATCH_SCHEDULES_PACKAGES="tests.worker.scenarios.every_second",
        BATCH_HEALTH_FILE=str(alive),
        BATCH_REDIS_TIMEOUT_SECONDS="0.5",
    )
    log = tmp_path / "worker.log"
    proc = _spawn(env, log)
    try:
        _wait_for(lambda: _tick_count(server.url, key_prefix) >= 2, 60, "ticks before the outage")
        server.stop()
        _wait_for(lambda: b"skipped:redis_down" in log.read_bytes(), 15, "a redis_down skip")
        time.sleep(2)
        assert proc.poll() is None  # still running without Redis
        server = RedisServer(port=server.port).start()  # empty again, same address
        _wait_for(lambda: _tick_count(server.url, key_prefix) >= 3, 20, "ticks after restart")
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        server.stop()
    output = log.read_text()
    assert "Redis unreachable" in output  # the alert (logged: no webhook configured)
    assert "redis reachable again" in output


def test_sigterm_lets_the_running_job_finish_and_exits_zero(
    redis_url: str, key_prefix: str, tmp_path: Path
) -> None:
    alive = tmp_path / "alive"
    env = worker_env(
        redis_url,
        key_prefix,
        tmp_path,
        BATCH_SCHEDULES_PACKAGES="tests.worker.scenarios.slow_job",
        BATCH_HEALTH_FILE=str(alive),
        BATCH_HEALTH_MAX_AGE_SECONDS="5",
        BATCH_GRACE_PERIOD_SECONDS="20",
    )
    events = tmp_path / "events.log"
    proc = _spawn(env, tmp_path / "worker.log")
    try:
        _wait_for(lambda: events.exists() and "start" in events.read_text(), 60, "a job start")
        health = subprocess.run(
            [PYTHON, "-m", "worker", "healthcheck"], cwd=REPO, env=env, timeout=60
        )
        assert health.returncode == 0
        sent = time.time()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = [line.split() for line in events.read_text().splitlines()]
    starts = [(float(t), tick) for t, kind, tick in lines if kind == "start"]
    ends = {tick for _, kind, tick in lines if kind == "end"}
    assert starts
    assert {tick for _, tick in starts} <= ends  # every run that started also finished
    assert all(t < sent for t, _ in starts)  # nothing started after the signal
    after = subprocess.run([PYTHON, "-m", "worker", "healthcheck"], cwd=REPO, env=env, timeout=60)
    assert after.returncode == 1  # stopped: the heartbeat is gone
