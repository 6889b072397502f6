"""BATCH_ENABLED=true hosts the batch scheduler in the API process; off by default."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api_app.app import create_app
from tests.api.conftest import make_settings
from tests.worker.conftest import redis_url  # noqa: F401 - the real Redis fixture


def test_lifespan_starts_and_stops_the_batch_scheduler(
    aws: Any,
    redis_url: str,  # noqa: F811
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    settings = make_settings(
        batch_enabled=True,
        redis_url=redis_url,
        batch_schedules_packages=("tests.worker.embedded_jobs",),
        batch_key_prefix="test:api-hosting:",
        batch_health_file=str(tmp_path / "alive"),
    )
    app = create_app(settings)
    with TestClient(app) as client:
        worker = app.state.batch_worker
        assert worker is not None
        assert worker.scheduler is not None
        assert worker.scheduler.running
        assert client.get("/health").status_code == 200
    assert not worker.scheduler.running
    assert app.state.batch_worker is None


def test_batch_scheduler_is_off_by_default(aws: Any) -> None:
    app = create_app(make_settings())
    with TestClient(app):
        assert app.state.batch_worker is None
