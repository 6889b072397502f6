"""Fault injection on the lock: Redis restarts under clock skew, and a Redis slower than the
socket timeout. Real ``redis-server`` processes, real ``python -m worker`` processes, clocks
moved with libfaketime; executions are counted from the jobs' own records."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import redis

from tests.worker.support import (
    RedisServer,
    WebhookServer,
    decisions,
    skewed,
    spawn_worker,
    stop_all,
    wait_for,
    worker_env,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

JOB = "tests.worker.scenarios.recorded"


def _runs(tmp_path: Path) -> Counter[str]:
    path = tmp_path / "runs.log"
    if not path.exists():
        return Counter()
    return Counter(line.split()[0] for line in path.read_text().splitlines() if line)


def _one_decision_per_tick(log: Path) -> list[dict[str, object]]:
    lines = [d for d in decisions(log) if d["job_id"] == "recorded"]
    per_tick = Counter(str(d["tick"]) for d in lines)
    assert [t for t, n in per_tick.items() if n != 1] == [], f"{log.name}: not one line per tick"
    return lines


def test_redis_restart_under_clock_skew_runs_no_tick_twice(tmp_path: Path) -> None:
    server = RedisServer().start()
    offsets = [-1.5, 0.0, 1.5]  # 3 s between the slowest and the fastest replica
    procs: list[subprocess.Popen[bytes]] = []
    logs = [tmp_path / f"worker-{i}.log" for i in range(len(offsets))]
    with WebhookServer() as hook:
        try:
            for offset, log in zip(offsets, logs, strict=True):
                env = worker_env(
                    server.url,
                    "restart:",
                    tmp_path,
                    BATCH_SCHEDULES_PACKAGES=JOB,
                    BATCH_HEALTH_FILE=str(tmp_path / f"alive{offset}"),
                    BATCH_MAX_CLOCK_SKEW_SECONDS="2",
                    BATCH_REDIS_TIMEOUT_SECONDS="0.5",
                    SLACK_WEBHOOK_URL=hook.url,
                )
                procs.append(spawn_worker(skewed(env, offset), log))
            wait_for(lambda: len(_runs(tmp_path)) >= 6, 60, "ticks before the restart")
            server.stop()  # no persistence: every claim is gone
            server = RedisServer(port=server.port).start()  # back within a fraction of a second
            restarted = time.time()
            wait_for(
                lambda: sum(1 for t in _runs(tmp_path) if t > _stamp(restarted + 4)) >= 4,
                30,
                "ticks after the restart",
            )
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            codes = [proc.wait(timeout=30) for proc in procs]
        finally:
            stop_all(procs)
            server.stop()
        alerts = [str(body.get("text", "")) for body in hook.received]
    assert codes == [0, 0, 0]
    runs = _runs(tmp_path)
    assert {t: n for t, n in runs.items() if n > 1} == {}, "ticks run twice"
    lines = [d for log in logs for d in _one_decision_per_tick(log)]
    fenced = [d for d in lines if d["decision"] == "skipped:redis_restarted"]
    assert any(float(str(d["epoch_ms"])) / 1000 >= restarted - 1 for d in fenced)
    # One alert per epoch for the whole fleet (the start-up one and the restart one), not one
    # per replica; each names the endpoint.
    restart_alerts = [a for a in alerts if "restarted or lost its keys" in a]
    epochs = {d["epoch_ms"] for d in fenced}
    assert len(restart_alerts) == len(epochs) == 2
    assert all(f"127.0.0.1:{server.port}" in a for a in restart_alerts)


def _stamp(when: float) -> str:
    from datetime import UTC, datetime

    return (
        datetime.fromtimestamp(when, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    )


def test_redis_slower_than_the_socket_timeout_loses_no_tick_to_a_false_reason(
    tmp_path: Path,
) -> None:
    server = RedisServer(debug=True).start()
    logs = [tmp_path / f"worker-{i}.log" for i in range(2)]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for i, log in enumerate(logs):
            env = worker_env(
                server.url,
                "slow:",
                tmp_path,
                BATCH_SCHEDULES_PACKAGES=JOB,
                BATCH_HEALTH_FILE=str(tmp_path / f"alive{i}"),
                BATCH_MAX_CLOCK_SKEW_SECONDS="0.5",
                BATCH_REDIS_TIMEOUT_SECONDS="0.3",
            )
            procs.append(spawn_worker(env, log))
        wait_for(lambda: len(_runs(tmp_path)) >= 3, 60, "the first ticks")
        client = redis.Redis.from_url(server.url)
        # Put Redis to sleep just before ticks: 0.45 s (the retry after the 0.3 s timeout
        # lands while the first copy is still queued) and 1.0 s (both copies time out).
        for pause in (0.45, 1.0, 0.45, 1.0, 0.45):
            time.sleep(1 - time.time() % 1 + 0.9)  # 0.1 s before a whole second
            sleeper = threading.Thread(
                target=client.execute_command, args=("DEBUG", "SLEEP", pause)
            )
            sleeper.start()
            sleeper.join()
        time.sleep(2)
        client.close()
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        codes = [proc.wait(timeout=30) for proc in procs]
    finally:
        stop_all(procs)
        server.stop()
    assert codes == [0, 0]
    runs = _runs(tmp_path)
    assert {t: n for t, n in runs.items() if n > 1} == {}, "ticks run twice"
    by_replica = [_one_decision_per_tick(log) for log in logs]
    lines = [d for replica in by_replica for d in replica]
    said = {(str(d["replica"]), str(d["tick"])): str(d["decision"]) for d in lines}
    # A replica that did not run a tick blames another only when that other replica holds
    # it: it ran the tick, or it never heard Redis's answer (its claim timed out).
    for d in lines:
        if d["decision"] == "skipped:other_replica":
            owner_said = said.get((str(d["owner"]), str(d["tick"])))
            assert owner_said in {"ran", "skipped:redis_down"}, d
    for d in lines:
        if d["decision"] == "ran":
            assert runs[str(d["tick"])] == 1, d  # a "ran" line is a real run
    assert any(float(str(d["late_seconds"])) >= 0.3 for d in lines), "no claim was slowed"
