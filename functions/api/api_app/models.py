"""Request and response models of the API (pydantic; the delivery path never imports these)."""

# No `from __future__ import annotations` here: pydantic would compile and evaluate every
# field's annotation string when the classes are made, at the API's cold start
# (tests/api/test_cold_start.py).
import warnings
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic.warnings import UnsupportedFieldAttributeWarning

from shared.delivery.event import check_json_value
from shared.delivery.headers import MAX_HEADER_VALUE_LENGTH, check_headers
from shared.delivery.urls import MAX_URL_LENGTH, parse_target_url
from shared.environment import LAMBDA_MAX_TIMEOUT_SECONDS
from shared.exceptions import InvalidRequestError
from shared.scheduling.names import MAX_NAME_PREFIX_LENGTH, NAME_PATTERN

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
TaskStatus = Literal[
    "scheduled", "delivering", "retrying", "delivered", "failed", "cancelled", "active"
]
MAX_DELAY_SECONDS = 366 * 24 * 3600
CLIENT_TOKEN_PATTERN = r"^[0-9A-Za-z_-]{1,64}$"  # noqa: S105 - a pattern
HEADER_NAME_PATTERN = r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$"
_URI: dict[str, Any] = {"format": "uri"}
# "exactly one of": stated in the OpenAPI document as well as enforced below.
_EXACTLY_ONE_WHEN: dict[str, Any] = {
    "oneOf": [
        {"required": ["delay_seconds"]},
        {"required": ["run_at"]},
        {"required": ["schedule_expression"]},
    ]
}


# FastAPI gives a route's (non-embedded) body parameter its name as an alias; when the body
# model is deferred (below), pydantic warns that this alias has no effect, which is true and
# harmless: a single body is read whole, never by name. Only that warning is silenced.
warnings.filterwarnings(
    "ignore",
    message=r"The 'alias' attribute with value '\w+' was provided to the `Field\(\)` function",
    category=UnsupportedFieldAttributeWarning,
)


class ApiModel(BaseModel):
    """Base of the API's request and response models: pydantic builds a model's validator
    and serializer when the model is first used, not when the module is imported. FastAPI
    builds its own adapters for a route's body and response at import anyway, so at cold
    start our models cost their class only (``bench/cold_start.py``)."""

    model_config = ConfigDict(defer_build=True)


def _checked(check: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a shared check; its ``InvalidRequestError`` becomes pydantic's ``ValueError``."""
    try:
        return check(*args, **kwargs)
    except InvalidRequestError as exc:
        raise ValueError(exc.message) from None


class TaskScheduleRequest(ApiModel):
    """Quick start: call this API's callback route with ``data`` after ``delay_minutes``."""

    model_config = ConfigDict(extra="forbid")

    delay_minutes: int = Field(ge=1, le=MAX_DELAY_SECONDS // 60, examples=[30])
    data: dict[str, Any] = Field(default_factory=dict, examples=[{"payment_id": 12345}])

    @field_validator("data")
    @classmethod
    def _sendable_data(cls, value: dict[str, Any]) -> dict[str, Any]:
        _checked(check_json_value, value, "data")
        return value


class TaskScheduled(ApiModel):
    """Answer of the quick-start route (the seed's keys plus the task id and time)."""

    success: bool = True
    message: str = "Task scheduled successfully"
    task_id: str
    schedule_arn: str
    scheduled_in_minutes: int
    run_at: datetime


class TaskCallback(ApiModel):
    """What the quick-start route sends to the callback route: ``{"data": {...}}``."""

    model_config = ConfigDict(extra="allow")

    data: dict[str, Any] = Field(default_factory=dict)


class TaskCallbackAck(ApiModel):
    """Acknowledgement of a verified callback."""

    success: bool = True
    message: str = "Task processed successfully"
    webhook_id: str
    duplicate: bool = False


# A task's own HTTP timeout: never above Lambda's limit (the API also applies
# MAX_TASK_TIMEOUT_SECONDS, which a deployment sets below ApiCallFunction's timeout).
TaskTimeout = Annotated[float, Field(gt=0, le=LAMBDA_MAX_TIMEOUT_SECONDS)]


class TaskCreate(ApiModel):
    """A deferred HTTP call: what to call and exactly one of when.

    ``delay_seconds``: once, that many seconds from now. ``run_at``: once, at an ISO 8601
    time with an offset, or a local time in ``timezone``. ``schedule_expression``: repeatedly,
    on an EventBridge ``cron(...)`` (six fields) or ``rate(...)`` expression in ``timezone``.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra=_EXACTLY_ONE_WHEN)

    target_url: (
        Annotated[str, Field(min_length=1, max_length=MAX_URL_LENGTH, json_schema_extra=_URI)]
        | SkipJsonSchema[None]
    ) = Field(
        default=None,
        description="Absolute http(s) URL on the allow-list; no user info, backslash, "
        "whitespace or control character. Default: this API's /api/v1/tasks/callback route.",
    )
    method: HttpMethod = "POST"
    headers: dict[
        Annotated[str, Field(pattern=HEADER_NAME_PATTERN)],
        Annotated[str, Field(max_length=MAX_HEADER_VALUE_LENGTH)],
    ] = Field(
        default_factory=dict,
        description="RFC 9110 names; visible ASCII values. Authorization, Host, "
        "Content-Length, Transfer-Encoding, Connection and webhook-* are refused.",
    )
    body: Any = Field(default_factory=dict)
    delay_seconds: Annotated[int, Field(ge=2, le=MAX_DELAY_SECONDS)] | SkipJsonSchema[None] = Field(
        default=None, description="At least 2 s (1 s lead time)."
    )
    run_at: datetime | SkipJsonSchema[None] = None
    schedule_expression: (
        Annotated[str, Field(min_length=1, max_length=256)] | SkipJsonSchema[None]
    ) = Field(default=None, examples=["cron(0 9 ? * MON-FRI *)", "rate(5 minutes)"])
    timezone: Annotated[str, Field(min_length=1, max_length=64)] | SkipJsonSchema[None] = Field(
        default=None, examples=["Asia/Seoul"]
    )
    name_prefix: str = Field(
        default="task", min_length=1, max_length=MAX_NAME_PREFIX_LENGTH, pattern=NAME_PATTERN
    )
    client_token: Annotated[str, Field(pattern=CLIENT_TOKEN_PATTERN)] | SkipJsonSchema[None] = (
        Field(
            default=None,
            description="Idempotency key: the same token with the same request answers 200 "
            "with the existing task; with a different request, 409.",
        )
    )
    timeout_seconds: (
        Annotated[float, Field(gt=0, le=LAMBDA_MAX_TIMEOUT_SECONDS)] | SkipJsonSchema[None]
    ) = Field(default=None, description="At most MAX_TASK_TIMEOUT_SECONDS (default 25 s).")

    @field_validator("target_url")
    @classmethod
    def _one_url_parser(cls, value: str | None) -> str | None:
        return None if value is None else _checked(parse_target_url, value).url

    @field_validator("headers")
    @classmethod
    def _sendable_headers(cls, value: dict[str, str]) -> dict[str, str]:
        return dict(_checked(check_headers, value, creating=True))

    @field_validator("body")
    @classmethod
    def _sendable_body(cls, value: Any) -> Any:
        _checked(check_json_value, value, "body")
        return value

    @model_validator(mode="after")
    def _exactly_one_when(self) -> Self:
        given = [
            name
            for name in ("delay_seconds", "run_at", "schedule_expression")
            if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of delay_seconds, run_at, schedule_expression"
                f" (got {', '.join(given) or 'none'})"
            )
        if self.run_at is not None and self.run_at.tzinfo is None and self.timezone is None:
            raise ValueError("run_at needs a UTC offset or a timezone")
        return self


STATUS_HELP = (
    "scheduled, delivering, retrying, delivered, failed (dead-lettered) or cancelled; "
    "recurring tasks: active or cancelled."
)


class TaskPublic(ApiModel):
    """A task as the API shows it."""

    task_id: str
    schedule_arn: str
    kind: Literal["one_time", "recurring"]
    schedule_expression: str
    timezone: str
    state: str
    run_at: datetime | None = None
    target_url: str | None = None
    method: str | None = None
    created_at: datetime | None = None
    next_run_at: datetime | None = Field(
        default=None, description="Recurring tasks: the next tick, in the task's time zone."
    )
    webhook_id: str | None = Field(
        default=None,
        description="The webhook-id its delivery will carry (one-time tasks; a recurring "
        "task's ticks each get their own).",
    )
    # From the ledger (absent on a backend without one): what happened to the task.
    status: TaskStatus | None = Field(default=None, description=STATUS_HELP)
    attempt_count: int | None = None
    last_outcome: str | None = None
    last_http_status: int | None = None
    last_attempt_at: datetime | None = None
    cancelled_at: datetime | None = None


class TasksPublic(ApiModel):
    """One page of tasks; pass ``next_token`` back as a query parameter for the next page."""

    data: list[TaskPublic]
    count: int
    next_token: str | None = None


class HealthPublic(ApiModel):
    """Liveness answer."""

    status: Literal["ok"] = "ok"
    stage: str
    backend: str
