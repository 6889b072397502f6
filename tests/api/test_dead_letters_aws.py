"""Dead letters on AWS (issue 15 item 4): whatever lands in either queue is recorded against
its task on arrival (DeadLetterRecorderFunction, fed as its SQS event sources feed it) and
listed by the API from the ledger, deleted from its queue only once recorded; a redrive is a
fresh attempt with the same webhook-id. moto for SQS and DynamoDB, the real API_CALL and
recorder handlers, a real HTTP target, botocore's Stubber pinning the Lambda invocation."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from fastapi.testclient import TestClient

from api_app.app import create_app
from shared.exceptions import RetryableDeliveryError
from tests.api.conftest import ACCOUNT, REGION, TOKEN, make_settings
from tests.api.dead_letter_fixtures import DeadLetterStack, dl_stack_fixture  # noqa: F401

pytestmark = pytest.mark.timeout(60)
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:api-call"


def lambda_on_failure(event: dict[str, Any]) -> str:
    """Lambda's on-failure destination record after retries ran out (developer guide)."""
    return json.dumps(
        {
            "version": "1.0",
            "timestamp": "2026-11-28T09:30:00.000Z",
            "requestContext": {
                "requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
                "functionArn": FUNCTION_ARN + ":$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 3,
            },
            "requestPayload": event,
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                                "functionError": "Unhandled"},
            "responsePayload": {"errorMessage": "POST answered 503",
                                "errorType": "RetryableDeliveryError"},
        }
    )  # fmt: skip


def scheduler_attributes() -> dict[str, Any]:
    """EventBridge Scheduler's dead-letter message attributes (Scheduler user guide)."""

    def attribute(value: str) -> dict[str, str]:
        return {"DataType": "String", "StringValue": value}

    return {
        "ERROR_CODE": attribute("AWS.Scheduler.AccessDeniedException"),
        "ERROR_MESSAGE": attribute("not authorized to perform: lambda:InvokeFunction"),
        "RETRY_ATTEMPTS": attribute("0"),
    }


def one_permanent_404(stack: DeadLetterStack) -> tuple[dict[str, Any], dict[str, Any]]:
    """A task whose target answers 404: API_CALL dead-letters it itself. (task, event)"""
    stack.target.script["/gone"] = [(404, b"no such order")]
    task = stack.create("/gone")
    event = stack.schedule_input(task["task_id"])
    assert json.loads(stack.fire(event)["body"])["success"] is False
    return task, event


def test_each_of_the_three_shapes_is_recorded_against_its_task(stack: DeadLetterStack) -> None:
    permanent, _ = one_permanent_404(stack)
    stack.target.script["/busy"] = [(503, b"busy")]
    exhausted = stack.create("/busy")
    exhausted_event = stack.schedule_input(exhausted["task_id"])
    with pytest.raises(RetryableDeliveryError):
        stack.fire(exhausted_event)
    assert stack.task(exhausted["task_id"])["status"] == "retrying"
    stack.sqs.send_message(
        QueueUrl=stack.delivery_queue, MessageBody=lambda_on_failure(exhausted_event)
    )
    never = stack.create("/never")
    stack.sqs.send_message(
        QueueUrl=stack.scheduler_queue,
        MessageBody=json.dumps(stack.schedule_input(never["task_id"])),
        MessageAttributes=scheduler_attributes(),
    )
    assert stack.waiting(stack.delivery_queue) == 2
    assert stack.waiting(stack.scheduler_queue) == 1
    assert stack.letters()["count"] == 0  # the API reads the ledger, never the queues

    stack.arrive()
    for task in (permanent, exhausted, never):  # on arrival, before anyone lists them
        assert stack.task(task["task_id"])["status"] == "failed"
    page = stack.letters()
    by_task = {letter["task_id"]: letter for letter in page["data"]}
    assert page["count"] == 3
    assert page["next_token"] is None
    assert set(by_task) == {permanent["task_id"], exhausted["task_id"], never["task_id"]}
    gone = by_task[permanent["task_id"]]
    assert (gone["reason"], gone["status"], gone["response_body"]) == (
        "permanent_failure", 404, "no such order",
    )  # fmt: skip
    assert [(a["status"], a["error"]) for a in gone["attempts"]] == [
        (404, "PermanentDeliveryError")
    ]
    assert gone["call"]["target_url"] == stack.target.url("/gone")
    busy = by_task[exhausted["task_id"]]
    assert busy["reason"] == "retries_exhausted"
    assert [a["status"] for a in busy["attempts"]] == [503]
    assert by_task[never["task_id"]]["reason"] == "scheduler_failure"
    [scheduler_error] = by_task[never["task_id"]]["attempts"]
    assert scheduler_error["error"] == (
        "AWS.Scheduler.AccessDeniedException: not authorized to perform: lambda:InvokeFunction"
    )
    for task in (permanent, exhausted, never):
        assert stack.task(task["task_id"])["status"] == "failed"
    assert stack.waiting(stack.delivery_queue) == stack.waiting(stack.scheduler_queue) == 0
    # filtered by task: only its own
    only = stack.letters(task_id=never["task_id"])
    assert [letter["task_id"] for letter in only["data"]] == [never["task_id"]]
    stack.arrive()
    assert stack.letters()["count"] == 3  # recorded once


def test_a_message_stays_in_its_queue_while_the_ledger_cannot_record_it(
    stack: DeadLetterStack,
) -> None:
    task, _ = one_permanent_404(stack)
    assert stack.waiting(stack.delivery_queue) == 1
    described = stack.dynamodb.describe_table(TableName=stack.table)["Table"]
    stack.dynamodb.delete_table(TableName=stack.table)  # the ledger is down

    stack.arrive()
    assert stack.waiting(stack.delivery_queue) == 1  # received, not recorded, not deleted
    failed = stack.api.get("/api/v1/dead-letters")
    assert failed.status_code == 503
    assert failed.json()["code"] == "backend_unavailable"

    from tests.shared.ledger.support import create_ledger_table

    create_ledger_table(stack.dynamodb, described["TableName"])  # the ledger is back (empty)
    stack.arrive()  # the message comes back after its visibility timeout
    [letter] = stack.letters()["data"]
    assert letter["task_id"] == task["task_id"]
    assert stack.waiting(stack.delivery_queue) == 0


def test_pages_oldest_first_with_next_token_and_a_bad_token_is_400(
    stack: DeadLetterStack,
) -> None:
    for _ in range(5):
        event = {"target_url": stack.target.url("/x"), "task_id": "t-none", "method": "POST"}
        stack.sqs.send_message(QueueUrl=stack.scheduler_queue, MessageBody=json.dumps(event))
    stack.arrive()
    seen: list[str] = []
    token = None
    sizes = []
    while True:
        params: dict[str, Any] = {"limit": 2}
        if token:
            params["next_token"] = token
        page = stack.letters(**params)
        sizes.append(page["count"])
        seen += [letter["id"] for letter in page["data"]]
        token = page["next_token"]
        if token is None:
            break
    assert sum(sizes) == 5
    assert sizes[:2] == [2, 2]
    assert len(set(seen)) == 5
    times = [letter["dead_lettered_at"] for letter in stack.letters()["data"]]
    assert times == sorted(times)
    by_task = stack.letters(task_id="t-none", limit=3)
    assert by_task["count"] == 3
    assert stack.letters(task_id="t-none", limit=3, next_token=by_task["next_token"])["count"] == 2

    bad = stack.api.get("/api/v1/dead-letters", params={"next_token": "bm90LW91cnM"})
    assert bad.status_code == 400
    assert set(bad.json()) == {"message", "code"}
    assert bad.json()["code"] == "invalid_request"


def test_route_errors_have_the_documented_shapes(stack: DeadLetterStack) -> None:
    unknown = stack.api.post("/api/v1/dead-letters/no-such-letter/redrive")
    assert unknown.status_code == 404
    assert unknown.json() == {
        "message": "no dead letter 'no-such-letter'",
        "code": "task_not_found",
    }
    for params in ({"limit": 0}, {"limit": 101}, {"limit": "many"}):
        invalid = stack.api.get("/api/v1/dead-letters", params=params)
        assert invalid.status_code == 422
        assert invalid.json()["code"] == "validation_error"
        assert invalid.json()["errors"][0]["loc"][-1] == "limit"
    bad_task = stack.api.get("/api/v1/dead-letters", params={"task_id": "bad id!"})
    assert bad_task.status_code == 400
    assert bad_task.json()["code"] == "invalid_request"
    anonymous = stack.api.get("/api/v1/dead-letters", headers={"Authorization": ""})
    assert anonymous.status_code == 401


def stubbed_lambda(stack: DeadLetterStack) -> tuple[Any, Stubber]:
    """Put a Stubber-wrapped Lambda client into the app's dead letters (built on first use)."""
    stack.letters()
    client = boto3.client("lambda", region_name=REGION)
    stack.api.app.state.aws_dead_letters.lambda_client = client  # type: ignore[attr-defined]
    return client, Stubber(client)


def test_redrive_sends_the_recorded_event_again_with_the_same_webhook_id(
    stack: DeadLetterStack,
) -> None:
    task, event = one_permanent_404(stack)
    stack.arrive()
    [first_hit] = stack.target.hits("/gone")
    _, stubber = stubbed_lambda(stack)
    [letter] = stack.letters()["data"]
    assert stack.task(task["task_id"])["status"] == "failed"
    stubber.add_response(
        "invoke",
        {"StatusCode": 202, "ResponseMetadata": {"RequestId": "redrive-req-1"}},
        {
            "FunctionName": FUNCTION_ARN,
            "InvocationType": "Event",
            "Payload": json.dumps(event, separators=(",", ":")).encode(),
        },
    )
    with stubber:
        accepted = stack.api.post(f"/api/v1/dead-letters/{letter['id']}/redrive")
    stubber.assert_no_pending_responses()
    assert accepted.status_code == 202, accepted.text
    assert accepted.json() == {
        "id": letter["id"],
        "task_id": task["task_id"],
        "webhook_id": first_hit["webhook-id"],
        "request_id": "redrive-req-1",
        "state": "redriven",
    }
    assert stack.letters()["count"] == 0  # it left the list
    assert stack.task(task["task_id"])["status"] == "scheduled"

    # Lambda runs the invocation: the target now answers, with the same webhook-id
    stack.target.script["/gone"] = [(200, b'{"ok":true}')]
    stack.fire(event)
    first, second = stack.target.hits("/gone")
    assert second["webhook-id"] == first["webhook-id"] == task["webhook_id"]
    attempts = stack.api.get(f"/api/v1/tasks/{task['task_id']}/attempts").json()["data"]
    assert [(a["attempt_number"], a["outcome"], a["webhook_id"]) for a in attempts] == [
        (1, "permanent", task["webhook_id"]),
        (2, "delivered", task["webhook_id"]),
    ]
    assert stack.task(task["task_id"])["status"] == "delivered"
    again = stack.api.post(f"/api/v1/dead-letters/{letter['id']}/redrive")
    assert again.status_code == 404


def test_a_failed_invocation_is_503_and_the_letter_stays_listed(stack: DeadLetterStack) -> None:
    task, _ = one_permanent_404(stack)
    stack.arrive()
    _, stubber = stubbed_lambda(stack)
    [letter] = stack.letters()["data"]
    stubber.add_client_error("invoke", "ServiceException", http_status_code=500)
    stubber.add_client_error("invoke", "ServiceException", http_status_code=500)
    with stubber:
        failed = stack.api.post(f"/api/v1/dead-letters/{letter['id']}/redrive")
    assert failed.status_code == 503
    assert failed.json()["code"] == "backend_unavailable"
    assert [again["id"] for again in stack.letters()["data"]] == [letter["id"]]
    assert stack.letters(task_id=task["task_id"])["count"] == 1
    assert stack.task(task["task_id"])["status"] == "failed"


def test_a_cancelled_task_is_not_redriven(stack: DeadLetterStack) -> None:
    never = stack.create("/never")
    stack.sqs.send_message(
        QueueUrl=stack.scheduler_queue,
        MessageBody=json.dumps(stack.schedule_input(never["task_id"])),
    )
    stack.arrive()
    [letter] = stack.letters()["data"]
    stack.dynamodb.update_item(  # cancelled after it was dead-lettered
        TableName=stack.table,
        Key={"pk": {"S": never["task_id"]}, "sk": {"S": "TASK"}},
        UpdateExpression="SET task_status = :c",
        ExpressionAttributeValues={":c": {"S": "cancelled"}},
    )
    refused = stack.api.post(f"/api/v1/dead-letters/{letter['id']}/redrive")
    assert refused.status_code == 409
    assert refused.json()["code"] == "task_conflict"


def test_a_body_that_is_not_json_is_kept_as_it_came(stack: DeadLetterStack) -> None:
    stack.sqs.send_message(QueueUrl=stack.scheduler_queue, MessageBody="not json {")
    stack.arrive()
    [letter] = stack.letters()["data"]
    assert (letter["task_id"], letter["call"]) == ("", {"raw": "not json {"})
    refused = stack.api.post(f"/api/v1/dead-letters/{letter['id']}/redrive")
    assert refused.status_code == 400  # nothing that could be sent: not invoked, still listed
    assert stack.letters()["count"] == 1


def test_a_letter_still_in_its_queue_is_not_listed_nor_redriven_until_it_is_recorded(
    stack: DeadLetterStack,
) -> None:
    never = stack.create("/never")
    event = stack.schedule_input(never["task_id"])
    sent = stack.sqs.send_message(QueueUrl=stack.scheduler_queue, MessageBody=json.dumps(event))
    _, stubber = stubbed_lambda(stack)
    assert stack.letters()["count"] == 0
    unknown = stack.api.post(f"/api/v1/dead-letters/{sent['MessageId']}/redrive")
    assert unknown.status_code == 404  # the API does not read the queue
    assert stack.waiting(stack.scheduler_queue) == 1  # and left it alone
    assert stack.task(never["task_id"])["status"] == "scheduled"

    stack.arrive()
    assert stack.task(never["task_id"])["status"] == "failed"
    stubber.add_response("invoke", {"StatusCode": 202}, None)
    with stubber:
        accepted = stack.api.post(f"/api/v1/dead-letters/{sent['MessageId']}/redrive")
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["webhook_id"] == never["webhook_id"]
    assert stack.waiting(stack.scheduler_queue) == 0


def test_credential_headers_of_the_call_are_redacted(stack: DeadLetterStack) -> None:
    event = {"target_url": stack.target.url("/x"), "task_id": "t-headers",
             "headers": {"Authorization": "Bearer s3cret-token", "X-Order": "1042"}}  # fmt: skip
    stack.sqs.send_message(QueueUrl=stack.scheduler_queue, MessageBody=json.dumps(event))
    stack.arrive()
    response = stack.api.get("/api/v1/dead-letters")
    assert "s3cret-token" not in response.text
    [letter] = response.json()["data"]
    assert letter["call"]["headers"]["X-Order"] == "1042"
    assert letter["call"]["headers"]["Authorization"] != "Bearer s3cret-token"


def test_without_a_ledger_the_routes_are_not_mounted(aws: Any) -> None:
    with TestClient(
        create_app(make_settings()), headers={"Authorization": f"Bearer {TOKEN}"}
    ) as api:
        assert api.get("/api/v1/dead-letters").status_code == 404
        assert api.post("/api/v1/dead-letters/x/redrive").status_code == 404
