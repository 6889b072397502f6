"""A slow scheduling backend (boto3 is blocking) never stalls the event loop."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from api_app.app import create_app
from shared.scheduling.types import OneTimeTaskSpec, ScheduledTask
from tests.api.conftest import TOKEN, make_settings
from tests.support import free_port, serve

BACKEND_SECONDS = 1.5


class SlowBackend:
    """Blocks like a slow AWS call would, then answers."""

    def __init__(self) -> None:
        self.entered = threading.Event()

    def create_one_time(self, spec: OneTimeTaskSpec) -> ScheduledTask:
        self.entered.set()
        time.sleep(BACKEND_SECONDS)
        return ScheduledTask(
            task_id="task-slow",
            arn="arn:aws:scheduler:::schedule/g/task-slow",
            kind="one_time",
            schedule_expression="at(2030-01-01T00:00:00)",
            timezone="UTC",
            state="ENABLED",
            run_at=spec.run_at,
        )


def test_health_answers_while_a_create_is_blocked_in_the_backend(aws: Any) -> None:
    app = create_app(make_settings())
    backend = SlowBackend()
    app.state.task_scheduler = backend
    with serve(app, free_port()) as base_url:
        results: dict[str, int] = {}

        def create() -> None:
            response = httpx.post(
                f"{base_url}/api/v1/tasks",
                json={"delay_seconds": 60},
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=10,
            )
            results["create"] = response.status_code

        worker = threading.Thread(target=create)
        worker.start()
        assert backend.entered.wait(5)
        started = time.monotonic()
        health = httpx.get(f"{base_url}/health", timeout=5)
        health_seconds = time.monotonic() - started
        worker.join(10)
    assert health.status_code == 200
    assert results["create"] == 201
    assert health_seconds < BACKEND_SECONDS / 3, health_seconds
