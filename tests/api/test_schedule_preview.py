"""``GET /api/v1/schedule-preview`` and ``next_run_at``: the ticks the backends will use."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api_app.app import create_app
from tests.api.conftest import TOKEN, make_settings

PREVIEW = "/api/v1/schedule-preview"


@pytest.fixture(params=["eventbridge", "local"])
def any_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    """A client of the API on the EventBridge backend (moto) or on the local backend."""
    if request.param == "eventbridge":
        request.getfixturevalue("aws")
        settings = make_settings()
    else:
        settings = make_settings(scheduler_backend="local", local_state_dir=str(tmp_path))
    with TestClient(
        create_app(settings), headers={"Authorization": f"Bearer {TOKEN}"}
    ) as test_client:
        yield test_client


def test_preview_shows_utc_and_local_ticks_across_spring_forward(client: TestClient) -> None:
    response = client.get(
        PREVIEW,
        params={
            "expression": "cron(30 2 * * ? *)",
            "timezone": "America/New_York",
            "count": 3,
            "after": "2026-03-07T00:00:00Z",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "expression": "cron(30 2 * * ? *)",
        "timezone": "America/New_York",
        "after": "2026-03-07T00:00:00Z",
        "fire_times": [  # 2026-03-08 02:30 does not exist in New York: no tick that day
            {"utc": "2026-03-07T07:30:00Z", "local": "2026-03-07T02:30:00-05:00"},
            {"utc": "2026-03-09T06:30:00Z", "local": "2026-03-09T02:30:00-04:00"},
            {"utc": "2026-03-10T06:30:00Z", "local": "2026-03-10T02:30:00-04:00"},
        ],
    }


def test_preview_rate_lord_howe_naive_after_and_nearest_weekday(client: TestClient) -> None:
    rate = client.get(
        PREVIEW,
        params={
            "expression": "rate(1 hour)",
            "timezone": "Australia/Lord_Howe",
            "count": 2,
            "after": "2026-10-04T01:15:00",  # naive: read in the zone (+10:30) = 10-03 14:45Z
        },
    ).json()
    assert rate["fire_times"] == [  # one hour later, the clock jumped 02:00 -> 02:30
        {"utc": "2026-10-03T15:45:00Z", "local": "2026-10-04T02:45:00+11:00"},
        {"utc": "2026-10-03T16:45:00Z", "local": "2026-10-04T03:45:00+11:00"},
    ]
    nearest = client.get(
        PREVIEW,
        params={"expression": "cron(0 9 LW * ? *)", "count": 2, "after": "2026-01-01T00:00:00Z"},
    ).json()
    assert [t["utc"] for t in nearest["fire_times"]] == [
        "2026-01-30T09:00:00Z",  # the 31st is a Saturday
        "2026-02-27T09:00:00Z",  # the 28th is a Saturday
    ]


@pytest.mark.parametrize(
    ("expression", "timezone"),
    [
        ("cron(0 9 * * MON-FRI *)", "UTC"),
        ("cron(61 9 ? * MON *)", "UTC"),
        ("cron(0 9 1,15W * ? *)", "UTC"),
        ("rate(0 minutes)", "UTC"),
        ("at(2030-01-01T00:00:00)", "UTC"),
        ("every day", "UTC"),
        ("rate(5 minutes)", "Mars/Olympus_Mons"),
        ("cron(bad)", "Mars/Olympus_Mons"),
    ],
)
def test_preview_errors_are_those_of_task_creation(
    any_backend: TestClient, expression: str, timezone: str
) -> None:
    created = any_backend.post(
        "/api/v1/tasks",
        json={"schedule_expression": expression, "timezone": timezone, "body": {}},
    )
    previewed = any_backend.get(PREVIEW, params={"expression": expression, "timezone": timezone})
    assert created.status_code == 422, created.text
    assert previewed.status_code == created.status_code
    assert previewed.json() == created.json()
    assert previewed.json()["code"] == "invalid_schedule"


@pytest.mark.parametrize(
    "params",
    [
        {"expression": "rate(5 minutes)", "count": 51},
        {"expression": "rate(5 minutes)", "count": 0},
        {"expression": "rate(5 minutes)", "after": "yesterday"},
        {"expression": "x" * 257},
        {},
    ],
)
def test_preview_query_limits(client: TestClient, params: dict[str, Any]) -> None:
    response = client.get(PREVIEW, params=params)
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")


def test_preview_needs_the_token(anonymous: TestClient) -> None:
    response = anonymous.get(PREVIEW, params={"expression": "rate(5 minutes)"})
    assert (response.status_code, response.json()["code"]) == (401, "unauthorized")


def test_fifty_ticks_at_most_and_all_of_them(client: TestClient) -> None:
    body = client.get(
        PREVIEW,
        params={"expression": "cron(0/15 * * * ? *)", "count": 50, "after": "2026-01-01T00:00Z"},
    ).json()
    assert len(body["fire_times"]) == 50
    assert body["fire_times"][49]["utc"] == "2026-01-01T12:15:00Z"


def test_recurring_tasks_show_next_run_at(any_backend: TestClient) -> None:
    cron = any_backend.post(
        "/api/v1/tasks",
        json={"schedule_expression": "cron(0 0 1 1 ? 2030)", "timezone": "Asia/Seoul"},
    ).json()
    assert cron["next_run_at"] == "2030-01-01T00:00:00+09:00"
    before = datetime.now(UTC)
    rate = any_backend.post("/api/v1/tasks", json={"schedule_expression": "rate(5 minutes)"})
    after = datetime.now(UTC)
    first = datetime.fromisoformat(rate.json()["next_run_at"])
    assert before + timedelta(minutes=5) <= first <= after + timedelta(minutes=5, seconds=1)
    assert first.microsecond == 0
    fetched = any_backend.get(f"/api/v1/tasks/{cron['task_id']}").json()
    assert fetched["next_run_at"] == "2030-01-01T00:00:00+09:00"
    listed = {t["task_id"]: t for t in any_backend.get("/api/v1/tasks").json()["data"]}
    assert listed[cron["task_id"]]["next_run_at"] == "2030-01-01T00:00:00+09:00"
    assert listed[rate.json()["task_id"]]["next_run_at"] == rate.json()["next_run_at"]
    once = any_backend.post("/api/v1/tasks", json={"delay_seconds": 60}).json()
    assert once["next_run_at"] is None
