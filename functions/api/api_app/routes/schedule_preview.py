"""``GET /schedule-preview``: the next ticks of a cron/rate expression, before creating a task."""

# No `from __future__ import annotations`: see api_app.models (cold start).
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from api_app.deps import ClientAuth
from api_app.errors import ERROR_RESPONSES
from api_app.models import ApiModel
from api_app.routing import DeclaredRoute
from api_app.service import utc_now
from shared.scheduling.validation import (
    MAX_PREVIEW_COUNT,
    parse_schedule_expression,
    validate_timezone,
)

router = APIRouter(tags=["tasks"], dependencies=[ClientAuth], route_class=DeclaredRoute)


class FireTimePublic(ApiModel):
    """One tick: the instant in UTC and the same instant on the task's wall clock."""

    utc: datetime
    local: datetime = Field(description="In the requested time zone, with its UTC offset.")


class SchedulePreviewPublic(ApiModel):
    """The next ticks of ``expression`` read in ``timezone``, after ``after``."""

    expression: str = Field(description="The normalized expression, as a task would store it.")
    timezone: str
    after: datetime
    fire_times: list[FireTimePublic]


@router.get("/schedule-preview", responses=ERROR_RESPONSES)
async def schedule_preview(
    expression: Annotated[str, Query(max_length=256, examples=["cron(0 9 ? * MON-FRI *)"])],
    timezone: Annotated[str, Query(max_length=64)] = "UTC",
    count: Annotated[int, Query(ge=1, le=MAX_PREVIEW_COUNT)] = 10,
    after: Annotated[datetime | None, Query(description="Default: now.")] = None,
) -> SchedulePreviewPublic:
    """Show when a task with this expression would fire (rate: as if created at ``after``)."""
    from shared.scheduling.cron import preview  # APScheduler: not at cold start, only when asked

    zone = validate_timezone(timezone)
    start = utc_now() if after is None else after
    if start.tzinfo is None:
        start = start.replace(tzinfo=zone)
    ticks = preview(expression, timezone, after=start, count=count)
    return SchedulePreviewPublic(
        expression=parse_schedule_expression(expression).expression,
        timezone=timezone,
        after=start,
        fire_times=[
            FireTimePublic(utc=tick.astimezone(UTC), local=tick.astimezone(zone)) for tick in ticks
        ],
    )
