"""Every edge input gets a documented 4xx in the one error shape, and nothing is created."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import make_settings, schedules

pytestmark = pytest.mark.timeout(60)
TASKS = "/api/v1/tasks"
JSON = {"Content-Type": "application/json"}
DOCUMENTED = {
    400: {"malformed_json", "invalid_request"},
    405: {"method_not_allowed"},
    413: {"payload_too_large"},
    422: {"validation_error", "invalid_schedule", "target_not_allowed"},
}


def assert_documented(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert isinstance(body["message"], str)
    assert body["message"]
    assert body["code"] in DOCUMENTED[status], body
    assert set(body) <= {"message", "code", "errors"}
    return body


@pytest.mark.parametrize(
    "raw",
    [
        b'{"delay_seconds": 60, "body": {"x": "\\ud800"}}',
        b'{"delay_seconds": 60, "body": ["\\udfff"]}',
        b'{"delay_seconds": 60, "body": {"\\ud83d": 1}}',
        b'{"delay_seconds": 60, "headers": {"X-A": "\\ud800"}}',
        b'{"delay_seconds": 60, "headers": {"\\ud800": "x"}}',
        b'{"delay_seconds": 60, "name_prefix": "\\ud800"}',
        b'{"delay_seconds": 60, "timezone": "\\ud800"}',
        b'{"run_at": "\\ud800"}',
        b'{"schedule_expression": "rate(\\ud800)"}',
        b'{"delay_seconds": 60, "x\\ud800": 1}',
    ],
)
def test_lone_surrogates_are_a_422_and_keep_the_connection(
    client: TestClient, aws: Any, raw: bytes
) -> None:
    assert_documented(client.post(TASKS, content=raw, headers=JSON), 422)
    assert client.get("/health").status_code == 200
    assert schedules(aws) == []


def test_lone_surrogate_in_the_quick_starts_data_is_a_422(client: TestClient, aws: Any) -> None:
    raw = b'{"delay_minutes": 5, "data": {"note": "\\ud800"}}'
    assert_documented(client.post(f"{TASKS}/schedule", content=raw, headers=JSON), 422)
    assert schedules(aws) == []


@pytest.mark.parametrize(
    "raw",
    [
        b'\xff\xfe{"delay_seconds": 60}',
        b'{"delay_seconds": 60, "body": "caf\xe9"}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"delay_seconds": 60',
    ],
    ids=["bom-utf16", "latin1", "deep", "truncated"],
)
def test_body_that_is_not_utf8_json_is_a_400_malformed_json(client: TestClient, raw: bytes) -> None:
    body = assert_documented(client.post(TASKS, content=raw, headers=JSON), 400)
    assert body == {"message": "request body is not valid JSON", "code": "malformed_json"}


def test_json_nested_deeper_than_64_is_a_422(client: TestClient, aws: Any) -> None:
    raw = b'{"delay_seconds": 60, "body": ' + b"[" * 65 + b"]" * 65 + b"}"
    assert_documented(client.post(TASKS, content=raw, headers=JSON), 422)
    ok = b'{"delay_seconds": 60, "body": ' + b"[" * 64 + b"]" * 64 + b"}"
    assert client.post(TASKS, content=ok, headers=JSON).status_code == 201


def test_chunked_body_over_512_kib_is_a_413(client: TestClient, aws: Any) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"delay_seconds": 60, "body": "'
        for _ in range(520):
            yield b"x" * 1024
        yield b'"}'

    body = assert_documented(client.post(TASKS, content=chunks(), headers=JSON), 413)
    assert body["message"] == "request body larger than 524288 bytes"
    assert schedules(aws) == []


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_json_without_a_json_content_type_is_accepted(
    client: TestClient, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(TASKS, content=b'{"delay_seconds": 60}', headers=headers)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [("PUT", TASKS, "GET, POST"), ("PATCH", f"{TASKS}/task-1", "DELETE, GET")],
)
def test_405_carries_allow(client: TestClient, method: str, path: str, allow: str) -> None:
    response = client.request(method, path)
    assert_documented(response, 405)
    assert sorted(response.headers["Allow"].split(", ")) == allow.split(", ")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9\\@hooks.example.com/x",
        "http://user:pw@hooks.example.com/x",
        "http://hooks.example.com/a b",
        "http://hooks.example.com/\r\nx",
        "http://hooks.example.com\t/x",
        "ftp://hooks.example.com/x",
    ],
)
def test_ambiguous_target_url_is_a_422_at_creation(client: TestClient, aws: Any, url: str) -> None:
    body = assert_documented(client.post(TASKS, json={"delay_seconds": 60, "target_url": url}), 422)
    assert body["errors"][0]["loc"] == ["body", "target_url"]
    assert schedules(aws) == []


def test_target_url_is_stored_as_urllib3_normalised_it(client: TestClient, aws: Any) -> None:
    url = "HTTP://Hooks.Example.COM/a%zz?x=1"
    response = client.post(TASKS, json={"delay_seconds": 60, "target_url": url})
    assert response.status_code == 201, response.text
    assert response.json()["target_url"] == "http://hooks.example.com/a%25zz?x=1"


def test_allow_list_port_entry_is_enforced_at_creation(aws: Any) -> None:
    from api_app.app import create_app
    from tests.api.conftest import TOKEN

    app = create_app(make_settings(allowed_target_hosts=("hooks.example.com:8443",)))
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        good = {"delay_seconds": 60, "target_url": "https://hooks.example.com:8443/x"}
        assert client.post(TASKS, json=good).status_code == 201
        bad = {"delay_seconds": 60, "target_url": "https://hooks.example.com/x"}
        body = assert_documented(client.post(TASKS, json=bad), 422)
        assert body["code"] == "target_not_allowed"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Split": "a\r\nInjected: 1"},
        {"X-Nul": "a\u0000b"},
        {"X-Korean": "안녕"},
        {"Bad Name": "v"},
        {"X:Colon": "v"},
        {"Authorization": "Bearer client-secret"},
        {"authorization": "Basic eDp5"},
        {"Host": "evil.example"},
        {"webhook-id": "msg_forged"},
        {"X-A": "1", "x-a": "2"},
    ],
)
def test_unsendable_or_credential_headers_are_a_422_and_never_stored(
    client: TestClient, aws: Any, headers: dict[str, str]
) -> None:
    body = assert_documented(
        client.post(TASKS, json={"delay_seconds": 60, "headers": headers}), 422
    )
    assert body["code"] == "validation_error"
    assert schedules(aws) == []


def test_timeout_above_max_task_timeout_is_a_422(aws: Any) -> None:
    from api_app.app import create_app
    from tests.api.conftest import TOKEN

    app = create_app(make_settings(max_task_timeout_seconds=25))
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        body = assert_documented(
            client.post(TASKS, json={"delay_seconds": 60, "timeout_seconds": 25.5}), 422
        )
        assert body == {
            "message": "timeout_seconds: at most 25 s (MAX_TASK_TIMEOUT_SECONDS)",
            "code": "validation_error",
        }
        ok = client.post(TASKS, json={"delay_seconds": 60, "timeout_seconds": 25})
        assert ok.status_code == 201


@pytest.mark.parametrize("token", ["has space", "x" * 65, "dot.not.allowed", ""])
def test_bad_client_token_is_a_422_like_every_field_error(client: TestClient, token: str) -> None:
    body = assert_documented(
        client.post(TASKS, json={"delay_seconds": 60, "client_token": token}), 422
    )
    assert body["errors"][0]["loc"] == ["body", "client_token"]


def test_made_up_next_token_is_a_400(client: TestClient) -> None:
    body = assert_documented(client.get(TASKS, params={"next_token": "bm90IG91cnM="}), 400)
    assert body == {
        "message": "next_token is not one this backend returned",
        "code": "invalid_request",
    }
