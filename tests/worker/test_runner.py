"""Two BatchWorkers (independent schedulers, one registry) in one loop, on a real Redis."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import Counter
from datetime import datetime

import pytest

from shared.settings import Settings
from worker import JobContext, Registry, batch_schedule
from worker.service import BatchWorker


async def _run_replicas(settings: Settings, registry: Registry, seconds: float) -> None:
    replicas = [BatchWorker(settings, registry=registry, packages=[__name__]) for _ in range(2)]
    for replica in replicas:
        await replica.start()
    await asyncio.sleep(seconds)
    results = await asyncio.gather(*(replica.stop(grace_seconds=5) for replica in replicas))
    assert all(results)


def test_two_replicas_run_each_tick_once_and_log_the_decisions(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    registry = Registry()
    ticks: Counter[datetime] = Counter()
    plain_ticks: list[str] = []

    @batch_schedule("interval", seconds=1, job_id="count", registry=registry)
    async def count(ctx: JobContext) -> None:
        ticks[ctx.fire_time] += 1

    @batch_schedule("interval", seconds=1, job_id="plain", registry=registry)
    def plain() -> None:  # runs in a thread, off the loop
        plain_ticks.append(asyncio.get_event_loop_policy().__class__.__name__)
        time.sleep(0.05)

    with caplog.at_level(logging.INFO, logger="worker"):
        asyncio.run(_run_replicas(settings, registry, 4.5))

    assert len(ticks) >= 3
    assert set(ticks.values()) == {1}
    assert len(plain_ticks) >= 3
    decisions = Counter((r.job_id, r.decision) for r in caplog.records if hasattr(r, "decision"))  # type: ignore[attr-defined]
    assert decisions[("count", "ran")] == len(ticks)
    assert decisions[("count", "skipped:other_replica")] >= len(ticks) - 1
    for record in caplog.records:
        if hasattr(record, "decision"):
            assert record.tick.endswith("Z")  # type: ignore[attr-defined]


def test_no_overlap_guard_holds_for_a_job_slower_than_its_interval(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    registry = Registry()
    spans: list[tuple[float, float]] = []

    @batch_schedule("interval", seconds=1, job_id="slow", no_overlap=True, registry=registry)
    async def slow() -> None:
        start = time.monotonic()
        await asyncio.sleep(2.3)
        spans.append((start, time.monotonic()))

    guarded = settings.model_copy(update={"batch_guard_ttl_seconds": 1.0})
    with caplog.at_level(logging.INFO, logger="worker"):
        asyncio.run(_run_replicas(guarded, registry, 6.0))

    spans.sort()
    assert len(spans) >= 2
    for (_, end), (next_start, _) in itertools.pairwise(spans):
        assert next_start >= end  # never two runs at once, on either replica
    decisions = [r.decision for r in caplog.records if hasattr(r, "decision")]
    assert "skipped:still_running" in decisions


def test_without_the_guard_slow_ticks_do_overlap(settings: Settings) -> None:
    """The control for the test above: the overlap it forbids really happens without it."""
    registry = Registry()
    spans: list[tuple[float, float]] = []

    @batch_schedule("interval", seconds=1, job_id="slow-free", registry=registry)
    async def slow() -> None:
        start = time.monotonic()
        await asyncio.sleep(2.3)
        spans.append((start, time.monotonic()))

    asyncio.run(_run_replicas(settings, registry, 4.0))
    spans.sort()
    assert any(b[0] < a[1] for a, b in itertools.pairwise(spans))
