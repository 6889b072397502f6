"""OpenAPI docs at /swagger except in prod; every error response documented."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api_app.app import create_app
from api_app.routes import (
    callback,
    local_dead_letters,
    schedule_preview,
    task_attempts,
    tasks,
)
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


# ErrorPublic's schema as FastAPI documented it when each route declared {"model": ErrorPublic}.
ERROR_PUBLIC_SCHEMA = {
    "properties": {
        "message": {"type": "string", "title": "Message"},
        "code": {"type": "string", "title": "Code"},
        "errors": {
            "anyOf": [
                {"items": {"additionalProperties": True, "type": "object"}, "type": "array"},
                {"type": "null"},
            ],
            "title": "Errors",
        },
    },
    "type": "object",
    "required": ["message", "code"],
    "title": "ErrorPublic",
    "description": "The body of every error response.",
}


def test_error_responses_documented_without_building_a_model_per_route(
    anonymous: TestClient,
) -> None:
    """Every 4xx/5xx of every operation refers to one ErrorPublic schema, yet no route built
    a pydantic field for it when declared (cold start: the schema is made on first request)."""
    routers = (callback, tasks, task_attempts, schedule_preview, local_dead_letters)
    routes = [r for module in routers for r in module.router.routes if isinstance(r, APIRoute)]
    assert len(routes) >= 9
    error_statuses = {400, 401, 404, 409, 413, 422, 429, 503}
    assert all(not error_statuses & set(route.response_fields) for route in routes)
    spec = anonymous.get("/openapi.json").json()
    assert spec["components"]["schemas"]["ErrorPublic"] == ERROR_PUBLIC_SCHEMA
    names = list(spec["components"]["schemas"])
    assert names == sorted(names)
    documented = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status in {"400", "401", "404", "409", "413", "429", "503"}:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorPublic"}, (path, method)
                    assert response["description"], (path, method, status)
                    documented += 1
    assert documented >= 40
    assert anonymous.get("/openapi.json").json() == spec
