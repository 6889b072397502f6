"""The deployed product remembers (issue 15): every task and attempt is in the ledger, and
the API answers from it after the schedule is gone. moto for AWS, a real HTTP target."""

from __future__ import annotations

import json
import time
from unittest import mock

import pytest
from botocore.exceptions import ClientError
from fastapi.testclient import TestClient

from api_app.app import create_app
from shared.exceptions import RetryableDeliveryError
from tests.api.conftest import ACCOUNT, GROUP, REGION, TOKEN, make_settings
from tests.api.ledger_fixtures import Stack, stack_fixture  # noqa: F401 - the fixture

pytestmark = pytest.mark.timeout(60)
ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:api-call"


def test_delivered_then_the_schedule_is_gone_and_the_api_still_answers(stack: Stack) -> None:
    request = {"delay_seconds": 60, "target_url": stack.target.url("/ok"), "client_token": "a1"}
    created = stack.create(**request)
    task_id = created["task_id"]
    assert created["status"] == "scheduled"
    assert created["attempt_count"] == 0
    event = stack.schedule_input(task_id)
    result = stack.fire(event)
    assert result["statusCode"] == 200
    stack.ran_and_deleted(task_id)

    task = stack.task(task_id)  # before the ledger: 404 once the schedule deleted itself
    assert task["status"] == "delivered"
    assert task["attempt_count"] == 1
    assert task["last_outcome"] == "delivered"
    assert task["last_http_status"] == 200
    assert task["webhook_id"] == created["webhook_id"]
    [headers] = stack.target.hits("/ok")
    [attempt] = stack.attempts(task_id)["data"]
    assert attempt["attempt_number"] == 1
    assert attempt["tick"] == "once"
    assert attempt["outcome"] == "delivered"
    assert attempt["http_status"] == 200
    assert attempt["response_excerpt"] == '{"ok":true}'
    assert attempt["webhook_id"] == headers["webhook-id"] == created["webhook_id"]
    assert attempt["duration_ms"] >= 0

    # idempotency is exact after the schedule is gone: same request -> the recorded task
    again = stack.api.post("/api/v1/tasks", json=request)
    assert again.status_code == 200
    assert again.json()["task_id"] == task_id
    assert again.json()["status"] == "delivered"
    other = stack.api.post("/api/v1/tasks", json={**request, "body": {"other": 1}})
    assert other.status_code == 409
    assert other.json()["code"] == "task_conflict"
    assert stack.scheduler.list_schedules()["Schedules"] == []  # nothing was created again


def test_retried_then_delivered_keeps_one_webhook_id(stack: Stack) -> None:
    stack.target.script["/flaky"] = [(503, b"busy"), (200, b"done")]
    created = stack.create(delay_seconds=60, target_url=stack.target.url("/flaky"))
    event = stack.schedule_input(created["task_id"])
    with pytest.raises(RetryableDeliveryError):  # Lambda's async retry takes over
        stack.fire(event)
    retrying = stack.task(created["task_id"])
    assert retrying["status"] == "retrying"
    assert retrying["last_http_status"] == 503
    stack.fire(event)
    task = stack.task(created["task_id"])
    assert (task["status"], task["attempt_count"], task["last_outcome"]) == (
        "delivered",
        2,
        "delivered",
    )
    attempts = stack.attempts(created["task_id"])["data"]
    assert [(a["attempt_number"], a["outcome"], a["http_status"]) for a in attempts] == [
        (1, "retryable", 503),
        (2, "delivered", 200),
    ]
    assert attempts[0]["response_excerpt"] == "busy"
    sent = [h["webhook-id"] for h in stack.target.hits("/flaky")]
    assert sent == [created["webhook_id"]] * 2 == [a["webhook_id"] for a in attempts]


def test_permanent_404_is_failed_with_the_first_kib_of_the_answer(stack: Stack) -> None:
    stack.target.script["/gone"] = [(404, "é".encode() * 1500)]  # 3000 bytes, 2-byte chars
    created = stack.create(delay_seconds=60, target_url=stack.target.url("/gone"))
    result = stack.fire(stack.schedule_input(created["task_id"]))
    assert '"success": false' in result["body"]
    task = stack.task(created["task_id"])
    assert (task["status"], task["last_outcome"], task["last_http_status"]) == (
        "failed",
        "permanent",
        404,
    )
    [attempt] = stack.attempts(created["task_id"])["data"]
    assert attempt["response_excerpt"] == "é" * 512  # 1024 bytes
    assert len(stack.target.hits("/gone")) == 1


def test_cancelled_task_is_not_delivered_even_by_a_queued_retry(stack: Stack) -> None:
    created = stack.create(delay_seconds=60, target_url=stack.target.url("/ok"))
    event = stack.schedule_input(created["task_id"])
    assert stack.api.delete(f"/api/v1/tasks/{created['task_id']}").status_code == 204
    result = stack.fire(event)  # an invocation that was already on its way
    assert '"cancelled": true' in result["body"]
    assert stack.target.requests == []
    task = stack.task(created["task_id"])
    assert task["status"] == "cancelled"
    assert task["cancelled_at"] is not None
    assert task["attempt_count"] == 0
    assert stack.api.delete(f"/api/v1/tasks/{created['task_id']}").status_code == 404


def test_recurring_task_records_each_tick_and_shows_its_next_run(stack: Stack) -> None:
    created = stack.create(schedule_expression="rate(5 minutes)", target_url=stack.target.url("/r"))
    assert created["status"] == "active"
    event = stack.schedule_input(created["task_id"])
    ticks = ["2026-11-28T10:00:00Z", "2026-11-28T10:05:00Z", "2026-11-28T10:10:00Z"]
    for tick in ticks:
        stack.fire(event, tick)
    task = stack.task(created["task_id"])
    assert (task["status"], task["attempt_count"], task["last_outcome"]) == (
        "active",
        3,
        "delivered",
    )
    assert task["next_run_at"] is not None
    attempts = stack.attempts(created["task_id"], limit=2)
    assert [a["tick"] for a in attempts["data"]] == ticks[:2]
    rest = stack.attempts(created["task_id"], limit=2, next_token=attempts["next_token"])
    assert [a["tick"] for a in rest["data"]] == ticks[2:]
    ids = [h["webhook-id"] for h in stack.target.hits("/r")]
    assert len(set(ids)) == 3  # one webhook-id per tick
    assert stack.api.delete(f"/api/v1/tasks/{created['task_id']}").status_code == 204
    assert stack.task(created["task_id"])["next_run_at"] is None


def test_list_from_the_ledger_by_status_and_prefix_without_reading_schedules(
    stack: Stack,
) -> None:
    ok = [stack.create(delay_seconds=60, name_prefix="pay", target_url=stack.target.url("/ok"))]
    ok.append(stack.create(delay_seconds=60, name_prefix="pay", target_url=stack.target.url("/ok")))
    other = stack.create(delay_seconds=60, name_prefix="mail", target_url=stack.target.url("/ok"))
    stack.fire(stack.schedule_input(ok[0]["task_id"]))
    for task in [*ok, other]:  # the schedules are gone: the listing reads only the ledger
        if task is not ok[0]:
            stack.api.delete(f"/api/v1/tasks/{task['task_id']}")
    stack.ran_and_deleted(ok[0]["task_id"])

    listed = stack.api.get("/api/v1/tasks", params={"prefix": "pay"}).json()
    assert sorted(t["task_id"] for t in listed["data"]) == sorted(t["task_id"] for t in ok)
    delivered = stack.api.get("/api/v1/tasks", params={"status": "delivered"}).json()
    assert [t["task_id"] for t in delivered["data"]] == [ok[0]["task_id"]]
    cancelled = stack.api.get("/api/v1/tasks", params={"status": "cancelled", "prefix": "mail"})
    assert [t["task_id"] for t in cancelled.json()["data"]] == [other["task_id"]]
    first = stack.api.get("/api/v1/tasks", params={"limit": 2}).json()
    second = stack.api.get("/api/v1/tasks", params={"limit": 2, "next_token": first["next_token"]})
    seen = [t["task_id"] for t in first["data"] + second.json()["data"]]
    assert sorted(seen) == sorted(t["task_id"] for t in [*ok, other])
    bad = stack.api.get("/api/v1/tasks", params={"next_token": "bm90LW91cnM"})
    assert bad.status_code == 400
    assert stack.api.get("/api/v1/tasks", params={"status": "lost"}).status_code == 422


def test_unknown_task_has_no_attempts(stack: Stack) -> None:
    response = stack.api.get("/api/v1/tasks/task-nope/attempts")
    assert response.status_code == 404
    assert response.json()["code"] == "task_not_found"


def test_ledger_down_at_creation_leaves_no_schedule_behind(stack: Stack) -> None:
    stack.dynamodb.delete_table(TableName=stack.table)
    response = stack.api.post(
        "/api/v1/tasks", json={"delay_seconds": 60, "target_url": stack.target.url("/ok")}
    )
    assert response.status_code == 503
    assert response.json()["code"] == "backend_unavailable"
    assert stack.scheduler.list_schedules()["Schedules"] == []


def test_scheduler_down_at_creation_leaves_no_record_behind(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the first create the write runs while the schedule is created: a schedule that
    cannot be created takes its record with it before the API answers."""
    first = stack.create(delay_seconds=60, target_url=stack.target.url("/ok"))
    client = stack.api.app.state.task_scheduler.scheduler().inner.client  # type: ignore[attr-defined]
    down = ClientError(
        {"Error": {"Code": "InternalServerException", "Message": "down"}}, "CreateSchedule"
    )
    monkeypatch.setattr(client, "create_schedule", mock.Mock(side_effect=down))
    response = stack.api.post(
        "/api/v1/tasks", json={"delay_seconds": 60, "target_url": stack.target.url("/ok")}
    )
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "backend_unavailable"
    items = stack.dynamodb.scan(TableName=stack.table)["Items"]
    assert [item["pk"]["S"] for item in items] == [first["task_id"]]
    assert client.create_schedule.call_count == 1


def test_ledger_deleted_mid_flight_does_not_stop_the_delivery(
    stack: Stack, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    created = stack.create(delay_seconds=60, target_url=stack.target.url("/ok"))
    event = stack.schedule_input(created["task_id"])
    stack.dynamodb.delete_table(TableName=stack.table)
    result = stack.fire(event)
    assert result["statusCode"] == 200
    assert len(stack.target.hits("/ok")) == 1  # delivered once, not blocked, not repeated
    failed = [r for r in caplog.records if r.getMessage() == "ledger write failed"]
    assert [r.levelname for r in failed] == ["ERROR", "ERROR"]  # start and finish
    assert [getattr(r, "ledger_action", None) for r in failed] == [
        "start_attempt",
        "finish_attempt",
    ]
    out = capsys.readouterr().out  # Embedded Metric Format, what the alarm watches
    assert out.count('"LedgerWriteFailures":[1.0]') == 2
    assert out.count(f'"LedgerTable":"{stack.table}","service":"callback-scheduler"') == 2


def test_ledger_down_keeps_a_retryable_failure_retryable(stack: Stack) -> None:
    stack.target.script["/busy"] = [(503, b"")]
    created = stack.create(delay_seconds=60, target_url=stack.target.url("/busy"))
    event = stack.schedule_input(created["task_id"])
    stack.dynamodb.delete_table(TableName=stack.table)
    with pytest.raises(RetryableDeliveryError):
        stack.fire(event)
    assert len(stack.target.hits("/busy")) == 1


def test_a_task_the_ledger_does_not_know_is_read_from_its_schedule(stack: Stack) -> None:
    stack.scheduler.create_schedule(  # made before the ledger existed
        Name="task-old",
        GroupName=GROUP,
        ScheduleExpression="at(2030-01-01T00:00:00)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": ARN, "RoleArn": ARN, "Input": '{"target_url": "https://h.example/x"}'},
    )
    task = stack.task("task-old")
    assert task["kind"] == "one_time"
    assert task["status"] is None  # the ledger has nothing to say about it


def test_ledger_down_at_cancel_changes_nothing(stack: Stack) -> None:
    created = stack.create(delay_seconds=60, target_url=stack.target.url("/ok"))
    stack.dynamodb.delete_table(TableName=stack.table)
    response = stack.api.delete(f"/api/v1/tasks/{created['task_id']}")
    assert response.status_code == 503
    names = [s["Name"] for s in stack.scheduler.list_schedules(GroupName=GROUP)["Schedules"]]
    assert names == [created["task_id"]]  # the schedule is still there


def test_cancel_sets_the_expiry_of_the_task(stack: Stack) -> None:
    created = stack.create(delay_seconds=60, target_url=stack.target.url("/ok"))
    before = int(time.time())
    stack.api.delete(f"/api/v1/tasks/{created['task_id']}")
    item = stack.dynamodb.get_item(
        TableName=stack.table, Key={"pk": {"S": created["task_id"]}, "sk": {"S": "TASK"}}
    )["Item"]
    expires = int(item["expires_at"]["N"])
    assert before + 30 * 86400 <= expires <= int(time.time()) + 30 * 86400


def test_ledger_down_keeps_a_permanent_failure_dead_lettered(stack: Stack) -> None:
    stack.target.script["/gone"] = [(404, b"no")]
    created = stack.create(delay_seconds=60, target_url=stack.target.url("/gone"))
    event = stack.schedule_input(created["task_id"])
    stack.dynamodb.delete_table(TableName=stack.table)
    result = stack.fire(event)
    assert json.loads(result["body"])["dead_letter_message_id"]
    assert len(stack.target.hits("/gone")) == 1


def test_with_the_ledger_off_attempts_and_status_say_so(aws: object) -> None:
    """``sam local`` runs with LEDGER_TABLE_NAME empty: no ledger to read (both backends keep
    one otherwise; tests/contract/test_ledger_parity.py)."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(make_settings()), headers=headers) as api:
        task = api.post("/api/v1/tasks", json={"delay_seconds": 600}).json()
        attempts = api.get(f"/api/v1/tasks/{task['task_id']}/attempts")
        assert attempts.status_code == 400
        assert attempts.json()["code"] == "invalid_request"
        assert "LEDGER_TABLE_NAME" in attempts.json()["message"]
        by_status = api.get("/api/v1/tasks", params={"status": "scheduled"})
        assert by_status.status_code == 422
        assert api.get("/api/v1/tasks").status_code == 200
