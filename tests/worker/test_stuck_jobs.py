"""Stuck and killed jobs with real worker processes: a replica SIGKILLed mid-run, a grace
period shorter than a plain job, a hung thread pool and a blocked event loop."""

from __future__ import annotations

import itertools
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.worker.support import (
    WebhookServer,
    decisions,
    spawn_worker,
    stop_all,
    wait_for,
    worker_env,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

GUARD_TTL = 2.0


def _life(tmp_path: Path) -> list[tuple[float, int, str, str]]:
    path = tmp_path / "life.log"
    if not path.exists():
        return []
    rows = [line.split() for line in path.read_text().splitlines() if line.count(" ") == 3]
    return [(float(t), int(pid), kind, tick) for t, pid, kind, tick in rows]


def _starts(tmp_path: Path) -> list[tuple[float, int, str]]:
    return [(t, pid, tick) for t, pid, kind, tick in _life(tmp_path) if kind == "start"]


def _pair(redis_url: str, prefix: str, tmp_path: Path, grace: str) -> list[subprocess.Popen[bytes]]:
    procs = []
    for i in range(2):
        env = worker_env(
            redis_url,
            prefix,
            tmp_path,
            BATCH_SCHEDULES_PACKAGES="tests.worker.scenarios.long_sync",
            BATCH_HEALTH_FILE=str(tmp_path / f"alive{i}"),
            BATCH_GUARD_TTL_SECONDS=str(GUARD_TTL),
            BATCH_GRACE_PERIOD_SECONDS=grace,
            WORKER_TEST_JOB_SECONDS="6",
        )
        procs.append(spawn_worker(env, tmp_path / f"worker-{i}.log"))
    return procs


def _assert_no_overlap(tmp_path: Path) -> None:
    life = _life(tmp_path)
    runs: dict[tuple[int, str], list[float]] = {}
    for t, pid, _, tick in life:
        runs.setdefault((pid, tick), []).append(t)
    spans = sorted((min(ts), max(ts), pid) for (pid, _), ts in runs.items())
    for (_, end, pid), (start, _, other) in itertools.pairwise(spans):
        assert start > end, f"run in {other} started at {start} while {pid} ran until {end}"
    ticks = Counter(tick for _, tick in runs)
    assert [t for t, n in ticks.items() if n > 1] == [], "a tick ran twice"


def test_sigkill_during_a_no_overlap_job_hands_the_job_on_after_the_guard_ttl(
    redis_url: str, key_prefix: str, tmp_path: Path
) -> None:
    procs = _pair(redis_url, key_prefix, tmp_path, grace="10")
    try:
        wait_for(lambda: bool(_starts(tmp_path)), 60, "a first run")
        time.sleep(1.0)
        victim_pid = _starts(tmp_path)[0][1]
        victim = next(p for p in procs if p.pid == victim_pid)
        victim.send_signal(signal.SIGKILL)
        killed = time.time()
        victim.wait(timeout=10)
        wait_for(
            lambda: any(pid != victim_pid for _, pid, _ in _starts(tmp_path)),
            GUARD_TTL + 8,
            "the other replica to take the job over",
        )
        survivor = next(p for p in procs if p.pid != victim_pid)
        survivor.send_signal(signal.SIGKILL)
        survivor.wait(timeout=10)
    finally:
        stop_all(procs)
    takeover = min(t for t, pid, _ in _starts(tmp_path) if pid != victim_pid)
    assert killed < takeover <= killed + GUARD_TTL + 3  # the dead holder's guard expired
    _assert_no_overlap(tmp_path)


def test_grace_period_shorter_than_a_plain_job_bounds_the_exit_without_overlap(
    redis_url: str, key_prefix: str, tmp_path: Path
) -> None:
    procs = _pair(redis_url, key_prefix, tmp_path, grace="1")
    try:
        wait_for(lambda: bool(_starts(tmp_path)), 60, "a first run")
        time.sleep(0.5)
        first_pid = _starts(tmp_path)[0][1]
        stopping = next(p for p in procs if p.pid == first_pid)
        sent = time.time()
        stopping.send_signal(signal.SIGTERM)
        code = stopping.wait(timeout=30)
        exited = time.time()
        wait_for(
            lambda: any(pid != first_pid for _, pid, _ in _starts(tmp_path)),
            GUARD_TTL + 10,
            "the other replica to run the job",
        )
        other = next(p for p in procs if p.pid != first_pid)
        other.send_signal(signal.SIGKILL)
        other.wait(timeout=10)
    finally:
        stop_all(procs)
    assert code == 1  # the grace period ran out with the job still running
    assert exited - sent < 1 + 3  # grace 1 s: the exit is bounded, not "when the thread ends"
    assert not any(k == "end" for _, pid, k, _ in _life(tmp_path) if pid == first_pid)
    _assert_no_overlap(tmp_path)
    log = (tmp_path / f"worker-{procs.index(stopping)}.log").read_text()
    assert "guard kept until it ends" in log


def test_a_hung_pool_and_a_blocked_loop_are_logged_per_tick_and_alerted(
    redis_url: str, key_prefix: str, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    with WebhookServer() as hook:
        env = worker_env(
            redis_url,
            key_prefix,
            tmp_path,
            BATCH_SCHEDULES_PACKAGES="tests.worker.scenarios.hung_pool",
            BATCH_HEALTH_FILE=str(tmp_path / "alive"),
            BATCH_SYNC_POOL_SIZE="2",
            BATCH_LOOP_LAG_ALERT_SECONDS="1",
            BATCH_GRACE_PERIOD_SECONDS="1",
            SLACK_WEBHOOK_URL=hook.url,
        )
        proc = spawn_worker(env, log)
        try:
            wait_for(
                lambda: (
                    sum(
                        d["decision"] == "skipped:pool_full" and d["job_id"] == "probe"
                        for d in decisions(log)
                    )
                    >= 3
                ),
                60,
                "probe ticks skipped for a full pool",
            )
            (tmp_path / "block-now").touch()
            wait_for(lambda: any("event loop blocked" in str(b) for b in hook.received), 20, "")
            time.sleep(4)  # the block ends; the ticks it held up are decided
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=30)
        finally:
            stop_all([proc])
        texts = [str(body.get("text", "")) for body in hook.received]
    assert code == 1  # the hung threads cannot finish within the grace period
    pool_alerts = [t for t in texts if "sync job pool full" in t]
    assert len(pool_alerts) == 1  # one per incident, not one per skipped tick
    blocked = [t for t in texts if "event loop blocked" in t]
    assert len(blocked) == 1
    assert "blocker" in blocked[0]
    lines = decisions(log)
    for job in ("probe", "blocker", "hung_a"):
        per_tick = Counter(str(d["tick"]) for d in lines if d["job_id"] == job)
        assert [t for t, n in per_tick.items() if n != 1] == [], f"{job}: one line per tick"
    probe = {str(d["decision"]) for d in lines if d["job_id"] == "probe"}
    assert "skipped:pool_full" in probe
    assert "coalesced" in probe  # the probe's ticks during the 3 s block were folded, and said so
    assert "skipped:max_instances" in {str(d["decision"]) for d in lines if d["job_id"] == "hung_a"}


def test_a_replica_paused_past_the_grace_runs_no_tick_twice_and_says_so(
    redis_url: str, key_prefix: str, tmp_path: Path
) -> None:
    logs = [tmp_path / f"worker-{i}.log" for i in range(2)]
    procs = []
    try:
        for i, log in enumerate(logs):
            env = worker_env(
                redis_url,
                key_prefix,
                tmp_path,
                BATCH_SCHEDULES_PACKAGES="tests.worker.scenarios.recorded",
                BATCH_HEALTH_FILE=str(tmp_path / f"alive{i}"),
                BATCH_MISFIRE_GRACE_SECONDS="1",
                BATCH_MAX_CLOCK_SKEW_SECONDS="0.5",
                BATCH_LOCK_TTL_SECONDS="10",
            )
            procs.append(spawn_worker(env, log))
        wait_for(lambda: (tmp_path / "runs.log").exists(), 60, "a first run")
        time.sleep(2)
        procs[0].send_signal(signal.SIGSTOP)
        time.sleep(4)  # four ticks come and go while it is frozen
        procs[0].send_signal(signal.SIGCONT)
        time.sleep(3)
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        codes = [proc.wait(timeout=30) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
        stop_all(procs)
    assert codes == [0, 0]
    runs = Counter(line.split()[0] for line in (tmp_path / "runs.log").read_text().splitlines())
    assert {t: n for t, n in runs.items() if n > 1} == {}, "ticks run twice"
    paused = [d for d in decisions(logs[0]) if d["job_id"] == "recorded"]
    per_tick = Counter(str(d["tick"]) for d in paused)
    assert [t for t, n in per_tick.items() if n != 1] == []
    assert "skipped:misfire" in {d["decision"] for d in paused}  # the frozen ticks, each said
