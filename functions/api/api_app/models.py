"""Request and response models of the API (pydantic; the delivery path never imports these)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator

from shared.environment import LAMBDA_MAX_TIMEOUT_SECONDS
from shared.scheduling.names import MAX_NAME_PREFIX_LENGTH, NAME_PATTERN

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
MAX_DELAY_SECONDS = 366 * 24 * 3600


class TaskScheduleRequest(BaseModel):
    """Quick start: call this API's callback route with ``data`` after ``delay_minutes``."""

    model_config = ConfigDict(extra="forbid")

    delay_minutes: int = Field(ge=1, le=MAX_DELAY_SECONDS // 60, examples=[30])
    data: dict[str, Any] = Field(default_factory=dict, examples=[{"payment_id": 12345}])


class TaskScheduled(BaseModel):
    """Answer of the quick-start route (the seed's keys plus the task id and time)."""

    success: bool = True
    message: str = "Task scheduled successfully"
    task_id: str
    schedule_arn: str
    scheduled_in_minutes: int
    run_at: datetime


class TaskCallback(BaseModel):
    """What the quick-start route sends to the callback route: ``{"data": {...}}``."""

    model_config = ConfigDict(extra="allow")

    data: dict[str, Any] = Field(default_factory=dict)


class TaskCallbackAck(BaseModel):
    """Acknowledgement of a verified callback."""

    success: bool = True
    message: str = "Task processed successfully"
    webhook_id: str


class TaskCreate(BaseModel):
    """A deferred HTTP call: what to call and exactly one of when.

    ``delay_seconds``: once, that many seconds from now. ``run_at``: once, at an ISO 8601
    time with an offset, or a local time in ``timezone``. ``schedule_expression``: repeatedly,
    on an EventBridge ``cron(...)`` (six fields) or ``rate(...)`` expression in ``timezone``.
    """

    model_config = ConfigDict(extra="forbid")

    target_url: AnyHttpUrl | None = Field(
        default=None, description="Default: this API's /api/v1/tasks/callback route."
    )
    method: HttpMethod = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = Field(default_factory=dict)
    delay_seconds: int | None = Field(
        default=None, ge=2, le=MAX_DELAY_SECONDS, description="At least 2 s (1 s lead time)."
    )
    run_at: datetime | None = None
    schedule_expression: str | None = Field(
        default=None, max_length=256, examples=["cron(0 9 ? * MON-FRI *)", "rate(5 minutes)"]
    )
    timezone: str | None = Field(default=None, max_length=64, examples=["Asia/Seoul"])
    name_prefix: str = Field(
        default="task", min_length=1, max_length=MAX_NAME_PREFIX_LENGTH, pattern=NAME_PATTERN
    )
    client_token: str | None = Field(default=None, min_length=1, max_length=64)
    timeout_seconds: float | None = Field(default=None, gt=0, le=LAMBDA_MAX_TIMEOUT_SECONDS)

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


class TaskPublic(BaseModel):
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


class TasksPublic(BaseModel):
    """One page of tasks; pass ``next_token`` back as a query parameter for the next page."""

    data: list[TaskPublic]
    count: int
    next_token: str | None = None


class HealthPublic(BaseModel):
    """Liveness answer."""

    status: Literal["ok"] = "ok"
    stage: str
    backend: str
