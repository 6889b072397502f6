"""Client authentication: bearer tokens on every task route, /health open."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api_app.app import create_app
from tests.api.conftest import make_settings

ROUTES = [
    ("POST", "/api/v1/tasks/schedule"),
    ("POST", "/api/v1/tasks"),
    ("GET", "/api/v1/tasks"),
    ("GET", "/api/v1/tasks/task-1"),
    ("DELETE", "/api/v1/tasks/task-1"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic dGVzdA==", "Bearer "])
def test_task_routes_need_a_valid_token(
    anonymous: TestClient, method: str, path: str, header: str | None
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = anonymous.request(method, path, headers=headers, json={"delay_minutes": 1})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


def test_health_is_open(anonymous: TestClient) -> None:
    response = anonymous.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "stage": "dev", "backend": "eventbridge"}


def test_every_configured_token_is_accepted(aws: object) -> None:
    app = create_app(make_settings(api_tokens=("old-token", "new-token")))
    with TestClient(app) as client:
        for token in ("old-token", "new-token"):
            listed = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
            assert listed.status_code == 200, listed.text


def test_tokens_from_secrets_manager_are_accepted(aws: object) -> None:
    import boto3

    from shared.secrets import clear_secret_cache
    from tests.api.conftest import REGION

    clear_secret_cache()
    arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="api-tokens", SecretString="token-from-sm-1 token-from-sm-2"
    )["ARN"]
    app = create_app(make_settings(api_tokens=(), api_tokens_arn=arn))
    with TestClient(app) as client:
        ok = client.get("/api/v1/tasks", headers={"Authorization": "Bearer token-from-sm-2"})
        assert ok.status_code == 200, ok.text
        bad = client.get("/api/v1/tasks", headers={"Authorization": "Bearer test-client-token"})
        assert bad.status_code == 401
    clear_secret_cache()
