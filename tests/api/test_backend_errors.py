"""Scheduling-backend failures reach the client as the documented status and code."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from fastapi.testclient import TestClient

from api_app.app import create_app
from shared.scheduling.eventbridge import EventBridgeScheduler
from tests.api.conftest import REGION, TOKEN, make_settings


@pytest.fixture
def stubbed() -> Iterator[tuple[TestClient, Stubber]]:
    settings = make_settings()
    client = boto3.client(
        "scheduler", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    app = create_app(settings)
    app.state.task_scheduler = EventBridgeScheduler.from_settings(settings, client=client)
    with Stubber(client) as stubber, TestClient(app, raise_server_exceptions=False) as test_client:
        test_client.headers["Authorization"] = f"Bearer {TOKEN}"
        yield test_client, stubber


@pytest.mark.parametrize(
    ("aws_code", "status", "code"),
    [
        ("ThrottlingException", 429, "throttled"),
        ("ValidationException", 422, "invalid_schedule"),
        ("InternalServerException", 503, "backend_unavailable"),
    ],
)
def test_create_maps_backend_errors(
    stubbed: tuple[TestClient, Stubber], aws_code: str, status: int, code: str
) -> None:
    client, stubber = stubbed
    stubber.add_client_error("create_schedule", service_error_code=aws_code, service_message="boom")
    response = client.post("/api/v1/tasks", json={"delay_seconds": 120})
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    stubber.assert_no_pending_responses()


def test_our_own_misconfiguration_is_a_503_configuration_error(
    stubbed: tuple[TestClient, Stubber],
) -> None:
    client, stubber = stubbed
    stubber.add_client_error(
        "create_schedule",
        service_error_code="ValidationException",
        service_message="The execution role you provide must allow AWS EventBridge Scheduler "
        "to assume the role.",
    )
    response = client.post("/api/v1/tasks", json={"delay_seconds": 120})
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "configuration_error"


def test_name_taken_by_a_vanished_schedule_is_a_conflict(
    stubbed: tuple[TestClient, Stubber],
) -> None:
    client, stubber = stubbed
    stubber.add_client_error("create_schedule", service_error_code="ConflictException")
    stubber.add_client_error(
        "get_schedule", service_error_code="ResourceNotFoundException", http_status_code=404
    )
    response = client.post("/api/v1/tasks", json={"delay_seconds": 120, "client_token": "t-1"})
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "task_conflict"
    stubber.assert_no_pending_responses()


def test_made_up_next_token_is_a_400_naming_the_client(
    stubbed: tuple[TestClient, Stubber],
) -> None:
    client, stubber = stubbed
    stubber.add_client_error("list_schedules", service_error_code="ValidationException")
    response = client.get("/api/v1/tasks", params={"next_token": "made-up"})
    assert response.status_code == 400, response.text
    assert response.json() == {
        "message": "next_token is not one this backend returned",
        "code": "invalid_request",
    }


def test_get_maps_not_found(stubbed: tuple[TestClient, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_client_error(
        "get_schedule", service_error_code="ResourceNotFoundException", http_status_code=404
    )
    response = client.get("/api/v1/tasks/task-unknown")
    assert response.status_code == 404
    assert response.json()["code"] == "task_not_found"


def test_unexpected_errors_do_not_leak_details(stubbed: tuple[TestClient, Stubber]) -> None:
    client, _ = stubbed

    class Broken:
        def list(self, **_: Any) -> Any:
            raise RuntimeError("secret internals")

    client.app.state.task_scheduler = Broken()  # type: ignore[attr-defined]
    response = client.get("/api/v1/tasks")
    assert response.status_code == 500
    assert response.json() == {"message": "internal error", "code": "internal_error"}
