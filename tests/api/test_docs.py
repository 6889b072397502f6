"""OpenAPI docs at /swagger except in prod; every error response documented."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from api_app.app import create_app
from tests.api.conftest import make_settings


def test_swagger_and_error_responses_are_documented(anonymous: TestClient) -> None:
    assert anonymous.get("/swagger").status_code == 200
    spec = anonymous.get("/openapi.json").json()
    create = spec["paths"]["/api/v1/tasks"]["post"]["responses"]
    for status in ("201", "400", "401", "409", "413", "422", "429", "503"):
        assert status in create, status
    assert "404" in spec["paths"]["/api/v1/tasks/{task_id}"]["delete"]["responses"]
    error_schema = spec["components"]["schemas"]["ErrorPublic"]
    assert {"message", "code"} <= set(error_schema["required"])


def test_no_docs_in_prod(aws: Any) -> None:
    with TestClient(create_app(make_settings(stage="prod"))) as client:
        assert client.get("/swagger").status_code == 404
        assert client.get("/openapi.json").status_code == 404
        assert client.get("/health").json()["stage"] == "prod"
