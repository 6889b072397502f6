"""One scenario on both backends, the same API answers (issue 15 item 5).

Six tasks: delivered (with a ``client_token``), retried then delivered (503, 200),
permanent 404, cancelled before it fired, recurring with three ticks, and retries exhausted
(503 three times) then redriven. AWS: moto (Scheduler, DynamoDB, SQS), the API with the
ledger, API_CALL_LAMBDA's handler invoked with each schedule's Input (Lambda's retries are
invocations again, its on-failure record after the last one is sent to the queue as Lambda
would, ``tests/api/dead_letter_fixtures.py``). Local: the API with
``SCHEDULER_BACKEND=local``, its real engine delivering over HTTP; the recurring task's
ticks are brought forward in the store so three ticks take seconds, not minutes. Both talk
to the same kind of real target on 127.0.0.1, scripted alike. What the API answers is
normalised (ids, times) and compared between the backends and with hand-written values.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from fastapi.testclient import TestClient

from api_app.app import create_app
from shared.exceptions import RetryableDeliveryError
from tests.api.conftest import GROUP, REGION, TOKEN, aws, make_settings  # noqa: F401
from tests.api.dead_letter_fixtures import DeadLetterStack, dl_stack_fixture  # noqa: F401
from tests.api.test_dead_letters_aws import lambda_on_failure
from tests.shared.ledger.support import ScriptedTarget, scripted_target

pytestmark = pytest.mark.timeout(120)
OK = b'{"ok":true}'
DELAY = 3  # seconds; the API refuses a run time less than 1 s ahead (a loaded machine is slow)
ONE_TIME = ("delivered", "flaky", "gone", "cancelled", "exhausted")
NOT_OURS = "bm90LW91cnM"  # base64 of "not-ours"
SHOWN = ("next_run_at", "cancelled_at", "last_attempt_at", "webhook_id")  # present or null


def script(target: ScriptedTarget) -> None:
    """The same answers on both backends (the last one of a path repeats)."""
    target.script["/flaky"] = [(503, b"busy"), (200, OK)]
    target.script["/gone"] = [(404, b"no such order")]
    target.script["/exhausted"] = [(503, b"busy")] * 3 + [(200, OK)]


@dataclass
class Answers:
    """What one backend's API answered, keyed by the scenario's labels."""

    ids: dict[str, str] = field(default_factory=dict)
    created: dict[str, dict[str, Any]] = field(default_factory=dict)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    attempts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    letters: list[dict[str, Any]] = field(default_factory=list)
    letters_after: list[dict[str, Any]] = field(default_factory=list)
    redrive: dict[str, Any] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    codes: dict[str, tuple[int, str]] = field(default_factory=dict)
    pages: list[int] = field(default_factory=list)
    client_token: str = ""
    replay: tuple[int, str, str] = (0, "", "")
    conflict: tuple[int, str] = (0, "")


def create_all(api: TestClient, target: ScriptedTarget, answers: Answers) -> None:
    for label in ONE_TIME:
        body: dict[str, Any] = {
            "delay_seconds": DELAY if label != "cancelled" else 600,
            "target_url": target.url(f"/{label}"),
            "name_prefix": "once",
        }
        if label == "delivered":
            answers.client_token = body["client_token"] = f"parity-{time.time_ns()}"
        answers.created[label] = ok(api.post("/api/v1/tasks", json=body), 201)
    answers.created["recurring"] = ok(
        api.post(
            "/api/v1/tasks",
            json={
                "schedule_expression": "rate(1 minute)",
                "target_url": target.url("/recurring"),
                "name_prefix": "tick",
            },
        ),
        201,
    )
    answers.ids = {label: task["task_id"] for label, task in answers.created.items()}


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def read_back(api: TestClient, answers: Answers) -> None:
    """Everything the scenario compares, read through the API after the deliveries."""
    ids = answers.ids
    for label, task_id in ids.items():
        answers.tasks[label] = ok(api.get(f"/api/v1/tasks/{task_id}"))
        answers.attempts[label] = ok(api.get(f"/api/v1/tasks/{task_id}/attempts"))["data"]
    labels = {task_id: label for label, task_id in ids.items()}

    def listed(**params: Any) -> list[str]:
        found = ok(api.get("/api/v1/tasks", params={"limit": 100, **params}))["data"]
        return sorted(labels[t["task_id"]] for t in found if t["task_id"] in labels)

    for status in ("delivered", "failed", "cancelled", "active", "scheduled"):
        answers.lists[status] = listed(status=status)
    answers.lists["prefix once"] = listed(prefix="once")
    answers.lists["prefix tick, active"] = listed(prefix="tick", status="active")
    first = ok(api.get(f"/api/v1/tasks/{ids['recurring']}/attempts", params={"limit": 2}))
    rest = ok(
        api.get(
            f"/api/v1/tasks/{ids['recurring']}/attempts",
            params={"limit": 2, "next_token": first["next_token"]},
        )
    )
    answers.pages = [first["count"], rest["count"]]
    assert rest["next_token"] is None
    cases: dict[str, Callable[[], Any]] = {
        "get unknown": lambda: api.get("/api/v1/tasks/task-nope"),
        "attempts unknown": lambda: api.get("/api/v1/tasks/task-nope/attempts"),
        "cancel unknown": lambda: api.delete("/api/v1/tasks/task-nope"),
        "cancel delivered": lambda: api.delete(f"/api/v1/tasks/{ids['delivered']}"),
        "cancel cancelled": lambda: api.delete(f"/api/v1/tasks/{ids['cancelled']}"),
        "list bad token": lambda: api.get("/api/v1/tasks", params={"next_token": NOT_OURS}),
        "list attempts token": lambda: api.get(
            "/api/v1/tasks", params={"next_token": first["next_token"]}
        ),
        "attempts bad token": lambda: api.get(
            f"/api/v1/tasks/{ids['recurring']}/attempts", params={"next_token": NOT_OURS}
        ),
        "list bad status": lambda: api.get("/api/v1/tasks", params={"status": "lost"}),
        "redrive unknown": lambda: api.post("/api/v1/dead-letters/dl-nope/redrive"),
        "redrive again": lambda: api.post(f"/api/v1/dead-letters/{answers.redrive['id']}/redrive"),
    }
    for name, call in cases.items():
        response = call()
        answers.codes[name] = (response.status_code, response.json()["code"])
    replayed = api.post("/api/v1/tasks", json=replay_body(answers))
    answers.replay = (replayed.status_code, replayed.json()["task_id"], replayed.json()["status"])
    other = api.post("/api/v1/tasks", json={**replay_body(answers), "body": {"other": 1}})
    answers.conflict = (other.status_code, other.json()["code"])
    answers.letters_after = ok(api.get("/api/v1/dead-letters"))["data"]


def replay_body(answers: Answers) -> dict[str, Any]:
    created = answers.created["delivered"]
    return {"delay_seconds": DELAY, "target_url": created["target_url"], "name_prefix": "once",
            "client_token": answers.client_token}  # fmt: skip


# --- AWS: moto, the API with the ledger, API_CALL's handler --------------------------------


def run_on_aws(stack: DeadLetterStack) -> Answers:
    answers = Answers()
    script(stack.target)
    create_all(stack.api, stack.target, answers)
    ids = answers.ids
    events = {label: stack.schedule_input(task_id) for label, task_id in ids.items()}
    assert stack.api.delete(f"/api/v1/tasks/{ids['cancelled']}").status_code == 204
    assert '"cancelled": true' in stack.fire(events["cancelled"])["body"]  # already queued
    stack.fire(events["delivered"])
    with pytest.raises(RetryableDeliveryError):
        stack.fire(events["flaky"])
    stack.fire(events["flaky"])  # Lambda's retry
    stack.fire(events["gone"])  # a permanent failure: API_CALL dead-letters it itself
    for _ in range(3):  # the invocation and Lambda's two retries
        with pytest.raises(RetryableDeliveryError):
            stack.fire(events["exhausted"])
    stack.sqs.send_message(  # Lambda's on-failure destination
        QueueUrl=stack.delivery_queue, MessageBody=lambda_on_failure(events["exhausted"])
    )
    for label in ONE_TIME:  # ActionAfterCompletion=DELETE
        if label != "cancelled":
            stack.scheduler.delete_schedule(Name=ids[label], GroupName=GROUP)
    for tick in ("2026-11-28T10:00:00Z", "2026-11-28T10:01:00Z", "2026-11-28T10:02:00Z"):
        stack.fire({**events["recurring"], "scheduled_time": tick})
    stack.arrive()  # DeadLetterRecorderFunction takes both queues' messages into the ledger
    answers.letters = stack.letters()["data"]
    [exhausted] = [dl for dl in answers.letters if dl["task_id"] == ids["exhausted"]]
    client = boto3.client("lambda", region_name=REGION)
    stack.api.app.state.aws_dead_letters.lambda_client = client  # type: ignore[attr-defined]
    stubber = Stubber(client)
    stubber.add_response(
        "invoke", {"StatusCode": 202, "ResponseMetadata": {"RequestId": "req-redrive-1"}}
    )
    with stubber:
        answers.redrive = ok(stack.api.post(f"/api/v1/dead-letters/{exhausted['id']}/redrive"), 202)
    stack.fire(events["exhausted"])  # Lambda runs the invocation, with the recorded event
    read_back(stack.api, answers)
    return answers


# --- local: the API with SCHEDULER_BACKEND=local and its engine ----------------------------


@pytest.fixture
def local_api(tmp_path: Path) -> Iterator[tuple[TestClient, ScriptedTarget]]:
    settings = make_settings(
        scheduler_backend="local",
        local_state_dir=str(tmp_path / "state"),
        allowed_target_hosts=("127.0.0.1",),
        local_retry_base_seconds=0.2,
        local_retry_max_backoff_seconds=0.5,
    )
    with (
        scripted_target() as target,
        TestClient(create_app(settings), headers={"Authorization": f"Bearer {TOKEN}"}) as api,
    ):
        yield api, target


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s: {what}")


def run_on_local(api: TestClient, target: ScriptedTarget) -> Answers:
    answers = Answers()
    script(target)
    create_all(api, target, answers)
    ids = answers.ids
    assert api.delete(f"/api/v1/tasks/{ids['cancelled']}").status_code == 204

    def status(label: str) -> str:
        return str(ok(api.get(f"/api/v1/tasks/{ids[label]}"))["status"])

    ended = dict(delivered="delivered", flaky="delivered", gone="failed", exhausted="failed")
    wait_for(lambda: all(status(k) == v for k, v in ended.items()), 15, "four tasks ended")
    engine: Any = api.app.state.local_scheduler  # type: ignore[attr-defined]
    for tick in (1, 2, 3):  # bring each tick forward instead of waiting a minute
        due = math.floor(time.time()) + 1.0
        with engine.store.transaction() as db:
            db.execute("UPDATE tasks SET next_fire_at = ? WHERE task_id = ?",
                       (due, ids["recurring"]))  # fmt: skip
        engine.engine.wake()

        def recorded(n: int = tick) -> bool:
            task = ok(api.get(f"/api/v1/tasks/{ids['recurring']}"))
            return bool(task["attempt_count"] == n and task["last_outcome"] == "delivered")

        wait_for(recorded, 5, f"tick {tick} recorded")
    answers.letters = ok(api.get("/api/v1/dead-letters"))["data"]
    [exhausted] = [dl for dl in answers.letters if dl["task_id"] == ids["exhausted"]]
    answers.redrive = ok(api.post(f"/api/v1/dead-letters/{exhausted['id']}/redrive"), 202)
    wait_for(lambda: status("exhausted") == "delivered", 5, "the redrive delivered")
    read_back(api, answers)
    return answers


# --- the comparison --------------------------------------------------------------------------


def normalised(answers: Answers) -> dict[str, Any]:
    """What must be equal on both backends: ids and times replaced by what they show."""
    ids = answers.ids
    labels = {task_id: label for label, task_id in ids.items()}
    tasks = {}
    for label, task in answers.tasks.items():
        tasks[label] = {
            **{k: task[k] for k in ("kind", "state", "status", "attempt_count", "method")},
            "last": (task["last_outcome"], task["last_http_status"]),
            "has": sorted(k for k in SHOWN if task[k] is not None),
            "created status": answers.created[label]["status"],
        }
    attempts = {}
    for label, rows in answers.attempts.items():
        webhook = answers.tasks[label]["webhook_id"]
        attempts[label] = [
            (
                "once" if a["tick"] == "once" else "tick",
                a["attempt_number"],
                a["outcome"],
                a["http_status"],
                a["error_class"],
                a["response_excerpt"],
                "task's" if a["webhook_id"] == webhook else "own",
            )
            for a in rows
        ]
        for a in rows:
            assert a["duration_ms"] >= 0
            assert a["started_at"]
    ticks = [a["tick"] for a in answers.attempts["recurring"]]
    assert ticks == sorted(set(ticks))  # distinct ticks, in order
    assert len(ticks) == 3
    assert len({a["webhook_id"] for a in answers.attempts["recurring"]}) == 3

    def letter(dl: dict[str, Any]) -> tuple[Any, ...]:
        steps = tuple((a["status"], a["error"]) for a in dl["attempts"])
        target = dl["call"]["target_url"].rsplit("/", 1)[-1]
        same_task = dl["call"]["task_id"] == dl["task_id"]
        for when in [dl["dead_lettered_at"], *(a["at"] for a in dl["attempts"])]:
            assert datetime.fromisoformat(when).utcoffset() == timedelta(0), when  # ISO, UTC
        assert dl["dead_lettered_at"].endswith("Z")
        return (labels[dl["task_id"]], dl["reason"], dl["status"], dl["response_body"],
                dl["scheduled_time"], steps, target, same_task)  # fmt: skip

    redrive = answers.redrive
    return {
        "tasks": tasks,
        "attempts": attempts,
        "letters": sorted(letter(dl) for dl in answers.letters),
        "letters after the redrive": sorted(letter(dl) for dl in answers.letters_after),
        "redrive": {
            "keys": sorted(redrive),
            "task": labels[redrive["task_id"]],
            "state": redrive["state"],
            "same webhook-id": redrive["webhook_id"] == answers.tasks["exhausted"]["webhook_id"],
            "request id": isinstance(redrive["request_id"], str) and bool(redrive["request_id"]),
        },
        "lists": answers.lists,
        "codes": answers.codes,
        "attempt pages": answers.pages,
        "replay": (answers.replay[0], labels[answers.replay[1]], answers.replay[2]),
        "conflict": answers.conflict,
    }


NO_TICKS: list[str] = []
EXPECTED: dict[str, Any] = {
    "tasks": {
        "delivered": {"kind": "one_time", "state": "ENDED", "status": "delivered",
                      "attempt_count": 1, "method": "POST", "last": ("delivered", 200),
                      "has": ["last_attempt_at", "webhook_id"], "created status": "scheduled"},
        "flaky": {"kind": "one_time", "state": "ENDED", "status": "delivered",
                  "attempt_count": 2, "method": "POST", "last": ("delivered", 200),
                  "has": ["last_attempt_at", "webhook_id"], "created status": "scheduled"},
        "gone": {"kind": "one_time", "state": "ENDED", "status": "failed", "attempt_count": 1,
                 "method": "POST", "last": ("permanent", 404),
                 "has": ["last_attempt_at", "webhook_id"], "created status": "scheduled"},
        "cancelled": {"kind": "one_time", "state": "ENDED", "status": "cancelled",
                      "attempt_count": 0, "method": "POST", "last": (None, None),
                      "has": ["cancelled_at", "webhook_id"], "created status": "scheduled"},
        "exhausted": {"kind": "one_time", "state": "ENDED", "status": "delivered",
                      "attempt_count": 4, "method": "POST", "last": ("delivered", 200),
                      "has": ["last_attempt_at", "webhook_id"], "created status": "scheduled"},
        "recurring": {"kind": "recurring", "state": "ENABLED", "status": "active",
                      "attempt_count": 3, "method": "POST", "last": ("delivered", 200),
                      "has": ["last_attempt_at", "next_run_at"], "created status": "active"},
    },
    "attempts": {
        "delivered": [("once", 1, "delivered", 200, None, '{"ok":true}', "task's")],
        "flaky": [("once", 1, "retryable", 503, "RetryableDeliveryError", "busy", "task's"),
                  ("once", 2, "delivered", 200, None, '{"ok":true}', "task's")],
        "gone": [("once", 1, "permanent", 404, "PermanentDeliveryError", "no such order",
                  "task's")],
        "cancelled": [],
        "exhausted": [("once", n, "retryable", 503, "RetryableDeliveryError", "busy", "task's")
                      for n in (1, 2, 3)] + [("once", 4, "delivered", 200, None, '{"ok":true}',
                                              "task's")],
        "recurring": [("tick", n, "delivered", 200, None, '{"ok":true}', "own")
                      for n in (1, 2, 3)],
    },
    "letters": [
        ("exhausted", "retries_exhausted", None, "", "",
         ((503, "RetryableDeliveryError"),) * 3, "exhausted", True),
        ("gone", "permanent_failure", 404, "no such order", "",
         ((404, "PermanentDeliveryError"),), "gone", True),
    ],
    "letters after the redrive": [
        ("gone", "permanent_failure", 404, "no such order", "",
         ((404, "PermanentDeliveryError"),), "gone", True),
    ],
    "redrive": {"keys": ["id", "request_id", "state", "task_id", "webhook_id"],
                "task": "exhausted", "state": "redriven", "same webhook-id": True,
                "request id": True},
    "lists": {
        "delivered": ["delivered", "exhausted", "flaky"],
        "failed": ["gone"],
        "cancelled": ["cancelled"],
        "active": ["recurring"],
        "scheduled": NO_TICKS,
        "prefix once": ["cancelled", "delivered", "exhausted", "flaky", "gone"],
        "prefix tick, active": ["recurring"],
    },
    "codes": {
        "get unknown": (404, "task_not_found"),
        "attempts unknown": (404, "task_not_found"),
        "cancel unknown": (404, "task_not_found"),
        "cancel delivered": (404, "task_not_found"),
        "cancel cancelled": (404, "task_not_found"),
        "list bad token": (400, "invalid_request"),
        "list attempts token": (400, "invalid_request"),
        "attempts bad token": (400, "invalid_request"),
        "list bad status": (422, "validation_error"),
        "redrive unknown": (404, "task_not_found"),
        "redrive again": (404, "task_not_found"),
    },
    "attempt pages": [2, 1],
    "replay": (200, "delivered", "delivered"),
    "conflict": (409, "task_conflict"),
}  # fmt: skip


def test_one_scenario_answers_the_same_on_aws_and_locally(
    stack: DeadLetterStack, local_api: tuple[TestClient, ScriptedTarget]
) -> None:
    on_aws = normalised(run_on_aws(stack))
    on_local = normalised(run_on_local(*local_api))
    for part in EXPECTED:  # part by part, so a failure names what differs
        assert on_aws[part] == EXPECTED[part], f"AWS: {part}"
        assert on_local[part] == EXPECTED[part], f"local: {part}"
    assert on_local == on_aws
