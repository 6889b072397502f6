"""Bad input on every route gets the documented error shape and creates nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import schedules

PAST = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()

CREATE_CASES: list[tuple[dict[str, Any], int, str]] = [
    ({}, 422, "validation_error"),
    ({"delay_seconds": 60, "schedule_expression": "rate(5 minutes)"}, 422, "validation_error"),
    ({"delay_seconds": 0}, 422, "validation_error"),
    ({"delay_seconds": 1}, 422, "validation_error"),
    ({"delay_seconds": 60, "method": "TRACE"}, 422, "validation_error"),
    ({"delay_seconds": 60, "target_url": "ftp://x.example.com/"}, 422, "validation_error"),
    ({"delay_seconds": 60, "unknown": 1}, 422, "validation_error"),
    ({"run_at": "2099-01-01T09:00:00"}, 422, "validation_error"),
    ({"delay_seconds": 60, "name_prefix": "bad prefix!"}, 422, "validation_error"),
    ({"run_at": PAST}, 422, "invalid_schedule"),
    ({"schedule_expression": "cron(0 9 * * MON-FRI *)"}, 422, "invalid_schedule"),
    ({"schedule_expression": "cron(61 9 ? * MON *)"}, 422, "invalid_schedule"),
    ({"schedule_expression": "rate(0 minutes)"}, 422, "invalid_schedule"),
    ({"schedule_expression": "every day"}, 422, "invalid_schedule"),
    ({"delay_seconds": 60, "timezone": "Mars/Olympus_Mons"}, 422, "invalid_schedule"),
    ({"delay_seconds": 60, "target_url": "https://evil.example.net/x"}, 422, "target_not_allowed"),
    (
        {"delay_seconds": 60, "target_url": "http://169.254.169.254/latest"},
        422,
        "target_not_allowed",
    ),
    ({"delay_seconds": 60, "body": {"blob": "x" * 300_000}}, 413, "payload_too_large"),
]


@pytest.mark.parametrize(("body", "status", "code"), CREATE_CASES)
def test_create_task_rejects_bad_input(
    client: TestClient, aws: Any, body: dict[str, Any], status: int, code: str
) -> None:
    response = client.post("/api/v1/tasks", json=body)
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["code"] == code
    assert isinstance(answer["message"], str)
    assert answer["message"]
    assert schedules(aws) == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"delay_minutes": 0, "data": {}}, 422),
        ({"delay_minutes": "soon", "data": {}}, 422),
        ({"data": {}}, 422),
        ({"delay_minutes": 5, "data": []}, 422),
    ],
)
def test_quick_start_rejects_bad_input(
    client: TestClient, aws: Any, body: dict[str, Any], status: int
) -> None:
    response = client.post("/api/v1/tasks/schedule", json=body)
    assert response.status_code == status
    assert response.json()["code"] == "validation_error"
    assert schedules(aws) == []


def test_malformed_json_is_a_400(client: TestClient, aws: Any) -> None:
    response = client.post(
        "/api/v1/tasks", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"
    assert schedules(aws) == []


def test_oversized_request_is_a_413_before_parsing(client: TestClient, aws: Any) -> None:
    response = client.post(
        "/api/v1/tasks",
        content=b'{"delay_seconds": 60, "body": "' + b"x" * 600_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert schedules(aws) == []


@pytest.mark.parametrize(
    ("params", "status"),
    [({"limit": 0}, 422), ({"limit": 101}, 422), ({"prefix": "bad prefix"}, 422)],
)
def test_list_rejects_bad_paging(client: TestClient, params: dict[str, Any], status: int) -> None:
    response = client.get("/api/v1/tasks", params=params)
    assert response.status_code == status
    assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_bad_task_id_is_rejected(client: TestClient, method: str) -> None:
    response = client.request(method, "/api/v1/tasks/" + "x" * 65)
    assert response.status_code == 422  # a field error, like every other one
    assert response.json()["code"] == "validation_error"


def test_unknown_route_uses_the_error_shape(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found", "code": "not_found"}
