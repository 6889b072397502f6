"""The product's own jobs, against moto (DynamoDB, EventBridge Scheduler) and a real Redis.

Dead letters are recorded in the ledger exactly as DeadLetterRecorderFunction records them
(``shared.ledger.drain.record_message``), in the table template.yaml declares."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from shared.ledger.config import LedgerConfig
from shared.ledger.dead_letter_store import DeadLetterStore
from shared.ledger.drain import record_message
from shared.settings import Settings
from tests.shared.ledger.support import create_ledger_table
from tests.worker.support import WebhookServer
from worker import JobContext
from worker.alerts import Alerter
from worker.aws_metrics import dynamodb_client, scheduler_client, waiting_dead_letters
from worker.redis_client import build_redis
from worker.schedules.daily_digest import daily_digest
from worker.schedules.dead_letters import check_dead_letters

REGION = "ap-northeast-2"
TABLE = "ledger-jobs"
MESSAGES = itertools.count()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    dynamodb_client.cache_clear()
    scheduler_client.cache_clear()
    with mock_aws():
        create_ledger_table(boto3.client("dynamodb", region_name=REGION), TABLE)
        yield
    dynamodb_client.cache_clear()
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


def record_letters(*task_ids: str) -> list[str]:
    """Record one Scheduler dead letter per task, as DeadLetterRecorderFunction does."""
    store = DeadLetterStore(LedgerConfig(TABLE), region=REGION)
    ids = []
    for task_id in task_ids:
        message_id = f"m-{next(MESSAGES)}"
        body = json.dumps({"target_url": "https://hooks.example.com/x", "task_id": task_id})
        message = {"MessageId": message_id, "Body": body}
        assert record_message(store, message, "scheduler", logging.getLogger("test"))
        ids.append(message_id)
    return ids


def ledger_settings(settings: Settings, **extra: Any) -> Settings:
    return settings.model_copy(update={"ledger_table_name": TABLE, "aws_region": REGION, **extra})


@pytest.mark.usefixtures("aws")
def test_dead_letter_alert_fires_once_per_new_letter_in_the_ledger(settings: Settings) -> None:
    record_letters("t-1", "t-2")
    config = ledger_settings(settings)
    with WebhookServer() as hook:
        alerter = Alerter(hook.url)
        asyncio.run(_run(check_dead_letters, config, alerter))
        asyncio.run(_run(check_dead_letters, config, alerter))  # nothing new: no second alert
        [third] = record_letters("t-3")
        asyncio.run(_run(check_dead_letters, config, alerter))
    texts = _texts(hook)
    assert len(texts) == 2
    assert "*new since last check*: 2" in texts[0]
    assert "*waiting for a redrive*: 2" in texts[0]
    assert TABLE in texts[0]
    assert "*new since last check*: 1" in texts[1]
    assert "*waiting for a redrive*: 3" in texts[1]
    assert third in texts[1]


@pytest.mark.usefixtures("aws")
def test_dead_letter_alert_without_redis_remembers_in_process(settings: Settings) -> None:
    record_letters("t-1")
    config = ledger_settings(settings, redis_url=None)
    with WebhookServer() as hook:
        alerter = Alerter(hook.url)
        asyncio.run(_run(check_dead_letters, config, alerter, memory=True))
        asyncio.run(_run(check_dead_letters, config, alerter, memory=True))  # no second alert
        record_letters("t-2")
        asyncio.run(_run(check_dead_letters, config, alerter, memory=True))
    texts = _texts(hook)
    assert len(texts) == 2
    assert "*new since last check*: 1" in texts[0]
    assert "*new since last check*: 1" in texts[1]
    assert "*waiting for a redrive*: 2" in texts[1]


@pytest.mark.usefixtures("aws")
def test_a_redriven_letter_leaves_the_count_and_a_new_failure_alerts_again(
    settings: Settings,
) -> None:
    [first] = record_letters("t-1")
    store = DeadLetterStore(LedgerConfig(TABLE), region=REGION)
    config = ledger_settings(settings)
    with WebhookServer() as hook:
        alerter = Alerter(hook.url)
        asyncio.run(_run(check_dead_letters, config, alerter))
        store.claim(first, now=datetime.now(UTC))  # redriven: it leaves the index
        asyncio.run(_run(check_dead_letters, config, alerter))  # nothing new
        record_letters("t-1")  # the redrive failed again: a new dead letter
        asyncio.run(_run(check_dead_letters, config, alerter))
    texts = _texts(hook)
    assert len(texts) == 2
    assert "*new since last check*: 1" in texts[1]
    assert "*waiting for a redrive*: 1" in texts[1]


@pytest.mark.usefixtures("aws")
def test_a_letter_the_index_shows_late_is_still_reported(settings: Settings) -> None:
    # The index is eventually consistent: a letter recorded before the newest one seen can
    # appear after it. Seen ids, not a time cursor, decide what is new.
    early, late = record_letters("t-1", "t-2")
    client = boto3.client("dynamodb", region_name=REGION)
    hidden = client.get_item(TableName=TABLE, Key={"pk": {"S": "DL#" + early}, "sk": {"S": "DL"}})
    client.update_item(  # out of the index for now
        TableName=TABLE,
        Key={"pk": {"S": "DL#" + early}, "sk": {"S": "DL"}},
        UpdateExpression="REMOVE dl_entity",
    )
    config = ledger_settings(settings)
    with WebhookServer() as hook:
        alerter = Alerter(hook.url)
        asyncio.run(_run(check_dead_letters, config, alerter))
        client.put_item(TableName=TABLE, Item=hidden["Item"])  # the index catches up
        asyncio.run(_run(check_dead_letters, config, alerter))
    first, second = _texts(hook)
    assert late in first
    assert early not in first
    assert early in second
    assert "*new since last check*: 1" in second


@pytest.mark.usefixtures("aws")
def test_no_letter_or_no_ledger_does_not_alert(settings: Settings) -> None:
    with WebhookServer() as hook:
        asyncio.run(_run(check_dead_letters, ledger_settings(settings), Alerter(hook.url)))
        asyncio.run(_run(check_dead_letters, settings, Alerter(hook.url)))
    assert hook.received == []


@pytest.mark.usefixtures("aws")
def test_the_check_reads_only_the_index_keys(settings: Settings) -> None:
    # What WorkerTaskRole allows (template.yaml): Query on the dead-letters index, keys only.
    record_letters("t-1")
    client = boto3.client("dynamodb", region_name=REGION)
    calls: list[dict[str, Any]] = []

    def seen(params: dict[str, Any], **_: Any) -> None:
        calls.append(params)

    client.meta.events.register("provide-client-params.dynamodb.Query", seen)
    [letter] = waiting_dead_letters(client, TABLE)
    assert letter.recorded_at.endswith("Z")
    [params] = calls
    assert params["IndexName"] == "dead-letters"
    assert params["Select"] == "SPECIFIC_ATTRIBUTES"
    assert params["ProjectionExpression"] == "dl_entity, dl_order"


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
    record_letters("t-1", "t-2")
    config = settings.model_copy(
        update={
            "ledger_table_name": TABLE,
            "aws_region": REGION,
            "scheduler_backend": "eventbridge",
            "schedule_group_name": "default",
        }
    )
    with WebhookServer() as hook:
        asyncio.run(_run(daily_digest, config, Alerter(hook.url)))
    (text,) = _texts(hook)
    assert "*pending tasks*: 3" in text
    assert "*dead letters*: 2" in text


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
