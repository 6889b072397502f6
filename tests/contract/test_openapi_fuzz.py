"""Contract fuzzing (Schemathesis) against the app's own OpenAPI document, with a valid token.

Every generated request (at least 1,000 per run, across every operation) must get an answer
below 500, every error must have the documented shape ``{"message", "code"[, "errors"]}``
with a documented code, and every answer must match the response schema of its status.
Runs on the EventBridge backend (moto).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from moto import mock_aws
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api_app.app import create_app
from tests.api.conftest import GROUP, REGION, TOKEN, make_settings
from tests.contract.conftest import FAKE_AWS

pytestmark = pytest.mark.timeout(240)
EXAMPLES_PER_OPERATION = 250
MIN_CASES = 1000
DOCUMENTED_CODES = {
    400: {"malformed_json", "invalid_request"},
    401: {"unauthorized"},
    404: {"task_not_found", "not_found"},
    405: {"method_not_allowed"},
    409: {"task_conflict"},
    413: {"payload_too_large"},
    422: {"validation_error", "invalid_schedule", "target_not_allowed"},
    429: {"throttled"},
    503: {"backend_unavailable", "configuration_error"},
}
seen: dict[str, Any] = {"cases": 0, "statuses": {}, "started": None}


# Loaded at import from the app itself (Schemathesis' lazy fixture loader does not run on
# pytest 9); its EventBridge client is built on first use, inside the moto fixture below.
APP = create_app(make_settings())
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def moto_account() -> Iterator[None]:
    """A moto account with the schedule group, for the whole module."""
    saved = {name: os.environ.get(name) for name in FAKE_AWS}
    os.environ.update(FAKE_AWS)
    try:
        with mock_aws():
            boto3.client("scheduler", region_name=REGION).create_schedule_group(Name=GROUP)
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_5xx_and_every_error_in_the_documented_shape(case: Any) -> None:
    if seen["started"] is None:
        seen["started"] = time.monotonic()
    response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
    seen["cases"] += 1
    seen["statuses"][response.status_code] = seen["statuses"].get(response.status_code, 0) + 1
    assert response.status_code < 500, (case.method, case.path, response.text)
    if response.status_code >= 400:
        body = response.json()
        assert set(body) <= {"message", "code", "errors"}, body
        assert isinstance(body["message"], str), body
        assert body["code"] in DOCUMENTED_CODES[response.status_code], body
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])


def test_fuzzing_ran_enough_cases_in_bounded_time() -> None:
    elapsed = time.monotonic() - (seen["started"] or time.monotonic())
    print(f"schemathesis_cases {seen['cases']}")
    print(f"schemathesis_seconds {elapsed:.1f}")
    print(f"schemathesis_statuses {sorted(seen['statuses'].items())}")
    assert seen["cases"] >= MIN_CASES, seen
    assert elapsed < 180, elapsed  # aim < 60 s on a loaded 2-core box; bound generously


def test_the_openapi_document_states_what_the_api_enforces() -> None:
    document = APP.openapi()
    create = document["components"]["schemas"]["TaskCreate"]
    assert create["oneOf"] == [
        {"required": ["delay_seconds"]},
        {"required": ["run_at"]},
        {"required": ["schedule_expression"]},
    ]
    assert create["properties"]["client_token"]["pattern"] == "^[0-9A-Za-z_-]{1,64}$"
    assert create["properties"]["delay_seconds"] == {
        "type": "integer",
        "minimum": 2,
        "maximum": 366 * 24 * 3600,
        "title": "Delay Seconds",
        "description": "At least 2 s (1 s lead time).",
    }
    task_path = document["paths"]["/api/v1/tasks/{task_id}"]
    for method in ("get", "delete"):
        [parameter] = task_path[method]["parameters"]
        schema = parameter["schema"]
        assert (schema["pattern"], schema["minLength"], schema["maxLength"]) == (
            "^[0-9A-Za-z_.-]+$",
            1,
            64,
        )
    assert "200" in document["paths"]["/api/v1/tasks"]["post"]["responses"]
