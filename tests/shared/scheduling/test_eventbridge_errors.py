"""ClientError and connection failures become domain errors; invalid input makes no AWS call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from shared.delivery.event import ApiCallRequest
from shared.exceptions import (
    BackendUnavailableError,
    CallbackSchedulerError,
    ConfigurationError,
    InvalidRequestError,
    PayloadTooLargeError,
    ScheduleValidationError,
    TaskConflictError,
    TaskNotFoundError,
    ThrottledError,
)
from shared.scheduling.eventbridge import EventBridgeScheduler
from shared.scheduling.types import OneTimeTaskSpec, RecurringTaskSpec
from tests.shared.scheduling.conftest import (
    CALL,
    NOW,
    REGION,
    adapter_at_now,
    make_adapter,
)
from tests.support import free_port

if TYPE_CHECKING:
    from mypy_boto3_scheduler.client import EventBridgeSchedulerClient

ORDER_ID = "order-b2bc8ae94bb156adb091ab7da12272da"  # new_task_id("order", "req-123")


def _create(adapter: EventBridgeScheduler) -> object:
    return adapter.create_one_time(OneTimeTaskSpec(call=CALL, run_at=NOW + timedelta(hours=1)))


def _get(adapter: EventBridgeScheduler) -> object:
    return adapter.get(ORDER_ID)


def _cancel(adapter: EventBridgeScheduler) -> object:
    adapter.cancel(ORDER_ID)
    return None


def _list(adapter: EventBridgeScheduler) -> object:
    return adapter.list()


OPERATIONS: dict[str, tuple[str, Callable[[EventBridgeScheduler], object]]] = {
    "create": ("create_schedule", _create),
    "get": ("get_schedule", _get),
    "cancel": ("delete_schedule", _cancel),
    "list": ("list_schedules", _list),
}
MAPPING: list[tuple[str, str, int, type[CallbackSchedulerError]]] = [
    ("create", "ResourceNotFoundException", 404, ConfigurationError),
    ("create", "ThrottlingException", 429, ThrottledError),
    ("create", "ServiceQuotaExceededException", 402, ThrottledError),
    ("create", "ValidationException", 400, ScheduleValidationError),
    ("create", "InternalServerException", 500, BackendUnavailableError),
    ("create", "AccessDeniedException", 403, BackendUnavailableError),
    ("get", "ResourceNotFoundException", 404, TaskNotFoundError),
    ("get", "ThrottlingException", 429, ThrottledError),
    ("get", "ValidationException", 400, InvalidRequestError),
    ("get", "InternalServerException", 500, BackendUnavailableError),
    ("cancel", "ResourceNotFoundException", 404, TaskNotFoundError),
    ("cancel", "ConflictException", 409, TaskConflictError),
    ("cancel", "ThrottlingException", 429, ThrottledError),
    ("list", "ResourceNotFoundException", 404, ConfigurationError),
    ("list", "ValidationException", 400, InvalidRequestError),
    ("list", "ThrottlingException", 429, ThrottledError),
]


@pytest.mark.parametrize(("operation", "code", "status", "expected"), MAPPING)
def test_client_errors_map_to_domain_errors(
    client: EventBridgeSchedulerClient,
    stubber: Stubber,
    operation: str,
    code: str,
    status: int,
    expected: type[CallbackSchedulerError],
) -> None:
    method, run = OPERATIONS[operation]
    stubber.add_client_error(
        method, service_error_code=code, service_message="nope", http_status_code=status
    )
    with pytest.raises(expected) as info:
        run(adapter_at_now(client))
    assert type(info.value) is expected
    assert info.value.details["aws_error_code"] == code


def test_unreachable_endpoint_is_backend_unavailable() -> None:
    client = boto3.client(
        "scheduler",
        region_name=REGION,
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        config=Config(connect_timeout=1, retries={"max_attempts": 1, "mode": "standard"}),
    )
    with pytest.raises(BackendUnavailableError, match="unreachable"):
        make_adapter(client).get(ORDER_ID)


BIG = ApiCallRequest(target_url="https://api.example.com/hook", body="x" * (256 * 1024))
INVALID: list[tuple[Callable[[EventBridgeScheduler], object], type[Exception]]] = [
    (
        lambda a: a.create_one_time(OneTimeTaskSpec(CALL, NOW - timedelta(seconds=5))),
        ScheduleValidationError,
    ),
    (
        lambda a: a.create_one_time(OneTimeTaskSpec(CALL, NOW + timedelta(hours=1), "Mars/Base")),
        ScheduleValidationError,
    ),
    (
        lambda a: a.create_one_time(OneTimeTaskSpec(CALL, datetime(2030, 1, 1))),
        ScheduleValidationError,
    ),
    (
        lambda a: a.create_one_time(OneTimeTaskSpec(BIG, NOW + timedelta(hours=1))),
        PayloadTooLargeError,
    ),
    (
        lambda a: a.create_one_time(
            OneTimeTaskSpec(CALL, NOW + timedelta(hours=1), name_prefix="p" * 32)
        ),
        InvalidRequestError,
    ),
    (
        lambda a: a.create_one_time(
            OneTimeTaskSpec(CALL, NOW + timedelta(hours=1), client_token="a b")
        ),
        InvalidRequestError,
    ),
    (
        lambda a: a.create_recurring(RecurringTaskSpec(CALL, "cron(0 9 * * * *)")),
        ScheduleValidationError,
    ),
    (
        lambda a: a.create_recurring(RecurringTaskSpec(CALL, "rate(1 minutes)")),
        ScheduleValidationError,
    ),
    (
        lambda a: a.create_recurring(RecurringTaskSpec(CALL, "rate(1 hour)", "Nowhere")),
        ScheduleValidationError,
    ),
    (
        lambda a: a.create_recurring(
            RecurringTaskSpec(ApiCallRequest("file:///etc/passwd"), "rate(1 hour)")
        ),
        InvalidRequestError,
    ),
    (lambda a: a.get("bad id"), InvalidRequestError),
    (lambda a: a.cancel("x" * 65), InvalidRequestError),
    (lambda a: a.list(page_size=0), InvalidRequestError),
    (lambda a: a.list(page_size=101), InvalidRequestError),
    (lambda a: a.list(name_prefix="bad/prefix"), InvalidRequestError),
    (lambda a: a.list(next_token=""), InvalidRequestError),
]


@pytest.mark.parametrize(("run", "expected"), INVALID)
def test_validation_errors_make_no_aws_call(
    client: EventBridgeSchedulerClient,
    stubber: Stubber,
    calls: list[dict[str, Any]],
    run: Callable[[EventBridgeScheduler], object],
    expected: type[Exception],
) -> None:
    with pytest.raises(expected):
        run(adapter_at_now(client))
    assert calls == []


@pytest.mark.parametrize(
    "message",
    [
        "The execution role you provide must allow AWS EventBridge Scheduler to assume the role.",
        "Invalid RoleArn provided.",
        "DeadLetterConfig Arn arn:aws:sqs:ap-northeast-2:123456789012:gone is invalid.",
        "Invalid request provided: Target Arn is not a valid lambda function.",
    ],
)
def test_validation_exception_about_our_configuration_is_a_configuration_error(
    client: EventBridgeSchedulerClient, stubber: Stubber, message: str
) -> None:
    stubber.add_client_error(
        "create_schedule", "ValidationException", service_message=message, http_status_code=400
    )
    with pytest.raises(ConfigurationError) as info:
        _create(adapter_at_now(client))
    assert info.value.code == "configuration_error"


def test_validation_exception_about_the_schedule_stays_the_clients(
    client: EventBridgeSchedulerClient, stubber: Stubber
) -> None:
    stubber.add_client_error(
        "create_schedule",
        "ValidationException",
        service_message="Invalid Schedule Expression at(2030-13-01T00:00:00).",
        http_status_code=400,
    )
    with pytest.raises(ScheduleValidationError):
        _create(adapter_at_now(client))


@pytest.mark.parametrize("code", ["ValidationException", "InvalidToken"])
def test_a_next_token_we_did_not_issue_is_the_clients_error(
    client: EventBridgeSchedulerClient, stubber: Stubber, code: str
) -> None:
    stubber.add_client_error(
        "list_schedules", code, service_message="Invalid Token", http_status_code=400
    )
    with pytest.raises(InvalidRequestError) as info:
        adapter_at_now(client).list(next_token="made-up")
    assert type(info.value) is InvalidRequestError
    assert info.value.message == "next_token is not one this backend returned"


def test_a_made_up_next_token_on_moto_is_a_400_not_a_503(
    moto_client: EventBridgeSchedulerClient,
) -> None:
    with pytest.raises(InvalidRequestError, match="next_token is not one"):
        make_adapter(moto_client).list(next_token="bm90IGEgdG9rZW4=")
