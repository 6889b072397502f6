"""Slack alerts, posted to a real HTTP server on 127.0.0.1 standing in for the webhook."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from shared.settings import Settings
from tests.worker.support import WebhookServer, free_port
from worker import Registry, batch_schedule
from worker.alerts import Alerter, trim_trace
from worker.service import BatchWorker

TICK = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _texts(payload: dict[str, object]) -> str:
    blocks = payload["blocks"]
    assert isinstance(blocks, list)
    return "\n".join(block["text"]["text"] for block in blocks)


def test_trim_keeps_the_end_of_the_trace() -> None:
    trace = "".join(f"frame {i}\n" for i in range(1000)) + "ValueError: boom\n"
    trimmed = trim_trace(trace, 300)
    assert trimmed.endswith("ValueError: boom\n")
    assert trimmed.startswith("...(")
    assert len(trimmed) < 300 + 40
    assert trim_trace("short", 300) == "short"


def test_failure_alert_posts_job_tick_error_and_trimmed_trace() -> None:
    trace = "Traceback (most recent call last):\n" + "  line\n" * 500 + "KeyError: 'x'\n"
    with WebhookServer() as hook:
        alerter = Alerter(hook.url, stack_trace_limit=200)
        assert asyncio.run(alerter.job_failed("batch.jobs.report", TICK, trace)) is True
    (payload,) = hook.received
    text = _texts(payload)
    assert "batch.jobs.report" in text
    assert "KeyError: 'x'" in text
    assert TICK.isoformat() in text
    assert len(text) < 600  # 500 trace lines would be ~3,500 characters
    assert "batch.jobs.report" in str(payload["text"])


def test_alerting_never_raises_and_without_a_webhook_only_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with WebhookServer(status=500) as hook:
        refused = asyncio.run(Alerter(hook.url).job_slow("j", TICK, 12.0, 10.0))
    assert refused is False
    assert len(hook.received) == 1
    unreachable = Alerter(f"http://127.0.0.1:{free_port()}/hook")
    assert asyncio.run(unreachable.job_slow("j", TICK, 12.0, 10.0)) is False
    with caplog.at_level(logging.WARNING, logger="worker.alerts"):
        assert asyncio.run(Alerter(None).job_slow("quiet", TICK, 12.0, 10.0)) is False
    assert any("over its time budget: quiet" in r.getMessage() for r in caplog.records)


def test_redis_down_alerts_are_rate_limited() -> None:
    now = [1000.0]
    with WebhookServer() as hook:
        alerter = Alerter(hook.url, redis_alert_interval_seconds=60, clock=lambda: now[0])

        async def storm() -> list[bool]:
            sent = [await alerter.redis_down("ConnectionError") for _ in range(5)]
            now[0] += 61
            sent.append(await alerter.redis_down("ConnectionError"))
            return sent

        assert asyncio.run(storm()) == [True, False, False, False, False, True]
    assert len(hook.received) == 2


def test_a_failing_job_alerts_and_the_scheduler_keeps_running(settings: Settings) -> None:
    registry = Registry()
    healthy: list[datetime] = []

    @batch_schedule("interval", seconds=1, job_id="explodes", registry=registry)
    async def explodes() -> None:
        raise RuntimeError("database said no")

    @batch_schedule("interval", seconds=1, job_id="fine", registry=registry)
    async def fine() -> None:
        healthy.append(datetime.now(UTC))

    @batch_schedule(
        "interval", seconds=3, job_id="sluggish", time_budget_seconds=0.3, registry=registry
    )
    async def sluggish() -> None:
        await asyncio.sleep(0.8)

    async def scenario(url: str) -> None:
        config = settings.model_copy(update={"slack_webhook_url": SecretStr(url)})
        worker = BatchWorker(config, registry=registry, packages=[__name__])
        await worker.start()
        await asyncio.sleep(3.6)
        assert await worker.stop(grace_seconds=5)

    with WebhookServer() as hook:
        asyncio.run(scenario(hook.url))
    texts = [_texts(p) for p in hook.received]
    failures = [t for t in texts if "job failed: explodes" in t]
    assert len(failures) >= 2  # it failed, alerted, and was run again on later ticks
    assert all("RuntimeError: database said no" in t for t in failures)
    assert len(healthy) >= 2
    assert any("over its time budget: sluggish" in t for t in texts)


def test_redis_down_alert_names_the_endpoint_and_reason_never_the_password() -> None:
    import redis.exceptions

    with WebhookServer() as hook:
        alerter = Alerter(hook.url, endpoint="cache.internal:6380")
        error = redis.exceptions.ConnectionError("Error 111 connecting to rediss://:hunter2@x")
        assert asyncio.run(alerter.redis_down(alerter.reason(error))) is True
    text = _texts(hook.received[0])
    assert "cache.internal:6380" in text
    assert "ConnectionError: Error 111 connecting" in text
    assert "hunter2" not in text


def test_a_fleet_sends_one_alert_per_incident(redis_url: str, key_prefix: str) -> None:
    from worker.redis_client import build_redis

    async def fleet() -> list[bool]:
        clients = [build_redis(redis_url) for _ in range(4)]
        alerters = [Alerter(hook.url, endpoint="e:1", redis=c, prefix=key_prefix) for c in clients]
        sent = list(await asyncio.gather(*(a.redis_restarted("1795900000000") for a in alerters)))
        sent.append(await alerters[0].redis_restarted("1795900009999"))  # a new incident
        for c in clients:
            await c.aclose()
        return sent

    with WebhookServer() as hook:
        sent = asyncio.run(fleet())
    assert sorted(sent[:4]) == [False, False, False, True]
    assert sent[4] is True
    assert len(hook.received) == 2
