"""The product's own jobs, against moto (SQS, EventBridge Scheduler) and a real Redis."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from shared.settings import Settings
from tests.worker.support import WebhookServer
from worker import JobContext
from worker.alerts import Alerter
from worker.aws_metrics import scheduler_client, sqs_client
from worker.redis_client import build_redis
from worker.schedules.daily_digest import daily_digest
from worker.schedules.dead_letters import check_dead_letters

REGION = "ap-northeast-2"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    sqs_client.cache_clear()
    scheduler_client.cache_clear()
    with mock_aws():
        yield
    sqs_client.cache_clear()
    scheduler_client.cache_clear()


def _texts(hook: WebhookServer) -> list[str]:
    return [json.dumps(payload) for payload in hook.received]


async def _run(job: object, settings: Settings, alerter: Alerter, *, memory: bool = False) -> None:
    # memory: as with BATCH_LOCK_BACKEND=memory, where a job's ctx.redis is None
    url = settings.redis_url
    redis = None if memory or url is None else build_redis(url.get_secret_value())
    ctx = JobContext(
        job_id="test",
        fire_time=datetime.now(UTC),
        settings=settings,
        redis=redis,
        alerter=alerter,
        log=logging.getLogger("worker.job.test"),
    )
    try:
        await job(ctx)  # type: ignore[operator]
    finally:
        if redis is not None:
            await redis.aclose()


@pytest.mark.usefixtures("aws")
def test_dead_letter_alert_fires_when_the_queue_grows(settings: Settings) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="api-call-dlq")["QueueUrl"]
    for i in range(2):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"task_id": f"t{i}"}))
    config = settings.model_copy(update={"dead_letter_queue_url": url, "aws_region": REGION})
    with WebhookServer() as hook:
        alerter = Alerter(hook.url)
        asyncio.run(_run(check_dead_letters, config, alerter))
        asyncio.run(_run(check_dead_letters, config, alerter))  # unchanged: no second alert
        sqs.send_message(QueueUrl=url, MessageBody="{}")
        asyncio.run(_run(check_dead_letters, config, alerter))
    texts = _texts(hook)
    assert len(texts) == 2
    assert "*waiting*: 2" in texts[0]
    assert "api-call-dlq" in texts[0]
    assert "*waiting*: 3" in texts[1]
    assert "*new since last check*: 1" in texts[1]


@pytest.mark.usefixtures("aws")
def test_dead_letter_alert_without_redis_compares_with_the_depth_kept_in_process(
    settings: Settings,
) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="api-call-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    config = settings.model_copy(
        update={"dead_letter_queue_url": url, "aws_region": REGION, "redis_url": None}
    )
    with WebhookServer() as hook:
        alerter = Alerter(hook.url)
        asyncio.run(_run(check_dead_letters, config, alerter, memory=True))
        asyncio.run(_run(check_dead_letters, config, alerter, memory=True))  # no second alert
        sqs.send_message(QueueUrl=url, MessageBody="{}")
        asyncio.run(_run(check_dead_letters, config, alerter, memory=True))
    texts = _texts(hook)
    assert len(texts) == 2
    assert "*waiting*: 1" in texts[0]
    assert "*new since last check*: 1" in texts[1]


@pytest.mark.usefixtures("aws")
def test_an_empty_queue_or_no_queue_does_not_alert(settings: Settings) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="api-call-dlq")["QueueUrl"]
    with WebhookServer() as hook:
        config = settings.model_copy(update={"dead_letter_queue_url": url, "aws_region": REGION})
        asyncio.run(_run(check_dead_letters, config, Alerter(hook.url)))
        asyncio.run(_run(check_dead_letters, settings, Alerter(hook.url)))
    assert hook.received == []


@pytest.mark.usefixtures("aws")
def test_daily_digest_counts_pending_schedules_and_dead_letters(settings: Settings) -> None:
    scheduler = boto3.client("scheduler", region_name=REGION)
    for i in range(3):
        scheduler.create_schedule(
            Name=f"task-{i}",
            GroupName="default",
            ScheduleExpression="at(2030-01-01T09:00:00)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={
                "Arn": f"arn:aws:lambda:{REGION}:123456789012:function:api-call",
                "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
            },
        )
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    config = settings.model_copy(
        update={
            "dead_letter_queue_url": url,
            "aws_region": REGION,
            "scheduler_backend": "eventbridge",
            "schedule_group_name": "default",
        }
    )
    with WebhookServer() as hook:
        asyncio.run(_run(daily_digest, config, Alerter(hook.url)))
    (text,) = _texts(hook)
    assert "*pending tasks*: 3" in text
    assert "*dead letters*: 1" in text


def test_real_jobs_declare_both_trigger_styles() -> None:
    from worker import DEFAULT_REGISTRY
    from worker.discovery import discover

    discover(["worker.schedules"])
    specs = {spec.job_id: spec for spec in DEFAULT_REGISTRY.jobs(["worker.schedules"])}
    digest = specs["batch.worker.schedules.daily_digest.daily_digest"]
    dlq = specs["batch.worker.schedules.dead_letters.check_dead_letters"]
    assert (digest.trigger, dict(digest.trigger_args)) == ("cron", {"hour": 9, "minute": 0})
    assert (dlq.trigger, dict(dlq.trigger_args)) == ("interval", {"minutes": 5})
    assert dlq.no_overlap
