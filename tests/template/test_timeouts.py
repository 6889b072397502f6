"""Timeouts nest: a slow AWS answer on the API's request path is our documented 503.

API Gateway gives up at the integration timeout (29 s) and answers a bare 500/503 when the
function times out first. So every AWS client on the request path (EventBridge Scheduler,
Secrets Manager) has connect and read timeouts and a retry budget whose worst case, for one
secrets read plus one scheduler call, is below ApiFunction's Timeout, itself below the
integration's. The worst case is computed from the clients the code really builds, and a real
TCP server that accepts and never answers shows the API's answer.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api_app.app import create_app
from shared.delivery.deadletter import send_dead_letter
from shared.scheduling.eventbridge import EventBridgeScheduler
from shared.secrets import _default_client, clear_secret_cache
from shared.settings import Settings
from tests.template.cfn import Resolver

REGION_FOR_SQS = "ap-northeast-2"

REGION = "ap-northeast-2"
ACCOUNT = "123456789012"
TOKEN = "timeouts-test-token"
# botocore's standard retry mode (botocore/retries/standard.py): before retry i (1-based) it
# sleeps rand(0, 1) * min(2 ** (i - 1), 20) s (throttling scale 1 s), raised by an
# x-amz-retry-after header to at most that + 5 s.
RETRY_AFTER_EXTRA = 5.0


def worst_case_seconds(config: Any) -> float:
    """Longest a call can take with this botocore ``Config`` before it raises."""
    assert config.retries["mode"] == "standard"
    attempts = config.retries["total_max_attempts"]
    assert config.connect_timeout is not None
    assert config.read_timeout is not None
    backoff = sum(min(2 ** (i - 1), 20) + RETRY_AFTER_EXTRA for i in range(1, attempts))
    return float(attempts * (config.connect_timeout + config.read_timeout) + backoff)


def scheduler_config() -> Any:
    adapter = EventBridgeScheduler(
        group_name="g",
        target_arn="arn:aws:lambda:ap-northeast-2:123456789012:function:f",
        role_arn="arn:aws:iam::123456789012:role/r",
        dead_letter_queue_arn="arn:aws:sqs:ap-northeast-2:123456789012:q",
        retry_attempts=2,
        max_event_age_seconds=3600,
        region_name=REGION,
    )
    return adapter.client.meta.config


def secrets_config() -> Any:
    try:
        return _default_client(REGION).meta.config
    finally:
        clear_secret_cache()


def test_aws_clients_on_the_request_path_fit_the_function_timeout(cfn: dict[str, Any]) -> None:
    resources = cfn["Resources"]
    function_timeout = resources["ApiFunction"]["Properties"]["Timeout"]
    integration_timeout = resources["HttpApiIntegration"]["Properties"]["TimeoutInMillis"] / 1000
    scheduler, secrets = (
        worst_case_seconds(scheduler_config()),
        worst_case_seconds(secrets_config()),
    )
    assert (scheduler, secrets) == (12.0, 12.0)  # 2 x (1 + 2) s + 1 s + 5 s, each
    assert scheduler + secrets < function_timeout < integration_timeout


def test_a_task_can_never_outwait_the_delivery_function(cfn: dict[str, Any]) -> None:
    resources = cfn["Resources"]
    api_call_timeout = resources["ApiCallFunction"]["Properties"]["Timeout"]
    limit = float(Resolver(cfn).environment("ApiFunction")["MAX_TASK_TIMEOUT_SECONDS"])
    # 5 s stay for reading the signing secret (cached), signing and dead-lettering.
    assert limit + 5 <= api_call_timeout
    assert limit == 25.0
    delivery_max = float(cfn["Parameters"]["DeliveryTimeoutSeconds"]["MaxValue"])
    assert delivery_max <= limit


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A real TCP server on 127.0.0.1 that accepts connections and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    server.close()


def app_client(monkeypatch: pytest.MonkeyPatch, **overrides: Any) -> TestClient:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    values: dict[str, Any] = {
        "aws_region": REGION,
        "scheduler_backend": "eventbridge",
        "schedule_group_name": "timeouts",
        "scheduler_role_arn": f"arn:aws:iam::{ACCOUNT}:role/scheduler",
        "api_call_function_arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:api-call",
        "dead_letter_queue_arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:dlq",
        "api_base_url": "http://127.0.0.1:8000",
        "api_tokens": (TOKEN,),
        "signing_secrets": ("whsec_" + "a" * 44,),
        **overrides,
    }
    app = create_app(Settings.model_validate(values))
    return TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"})


def timed_create(client: TestClient) -> tuple[Any, float]:
    started = time.monotonic()
    response = client.post("/api/v1/tasks", json={"delay_seconds": 3600, "body": {"n": 1}})
    return response, time.monotonic() - started


@pytest.mark.timeout(60)
def test_a_silent_scheduler_endpoint_is_a_503_before_the_function_times_out(
    cfn: dict[str, Any], monkeypatch: pytest.MonkeyPatch, silent_server: str
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SCHEDULER", silent_server)
    with app_client(monkeypatch) as client:
        response, elapsed = timed_create(client)
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "backend_unavailable"
    # Two attempts, each waiting out the 2 s read timeout, then the answer.
    assert 4.0 <= elapsed < worst_case_seconds(scheduler_config())
    assert elapsed < cfn["Resources"]["ApiFunction"]["Properties"]["Timeout"]


@pytest.mark.timeout(60)
def test_a_silent_secrets_manager_is_a_503_before_the_function_times_out(
    monkeypatch: pytest.MonkeyPatch, silent_server: str
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", silent_server)
    clear_secret_cache()
    arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:api-tokens-AbCdEf"
    try:
        with app_client(monkeypatch, api_tokens=(), api_tokens_arn=arn) as client:
            response, elapsed = timed_create(client)
    finally:
        clear_secret_cache()
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "backend_unavailable"
    assert 4.0 <= elapsed < worst_case_seconds(secrets_config())


def test_a_silent_dead_letter_queue_cannot_push_api_call_past_its_timeout(
    cfn: dict[str, Any], monkeypatch: pytest.MonkeyPatch, silent_server: str
) -> None:
    # A permanent failure after a task's longest allowed call must still be dead-lettered
    # (or given up on) before Lambda's timeout, or Lambda would retry the whole invocation.
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", silent_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    started = time.monotonic()
    with pytest.raises(Exception, match=r"(?i)timeout|timed out"):
        send_dead_letter({"x": 1}, queue_url=f"{silent_server}/1/q", region=REGION_FOR_SQS)
    took = time.monotonic() - started
    assert took < 4.5, took
    resources = cfn["Resources"]
    api_call_timeout = float(resources["ApiCallFunction"]["Properties"]["Timeout"])
    max_task_timeout = float(Resolver(cfn).environment("ApiFunction")["MAX_TASK_TIMEOUT_SECONDS"])
    assert max_task_timeout + took < api_call_timeout
