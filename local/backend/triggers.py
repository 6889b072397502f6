"""EventBridge ``cron(...)``/``rate(...)`` expressions as APScheduler 3 triggers.

The expression is validated by ``shared.scheduling.validation`` (the same errors as the
EventBridge adapter); this module only translates it. EventBridge numbers weekdays 1-7 from
SUNDAY, APScheduler 0-6 from MONDAY, so weekdays are passed to APScheduler by name. Plain
fields are expanded to explicit value lists, which keeps every step form EventBridge accepts
(``50/15``, ``*/60``) meaning exactly what it means there. ``L`` (day-of-month), ``nL`` and
``n#k`` (day-of-week) map to APScheduler's ``last``, ``last fri`` and ``3rd fri``; ``W`` and
``LW`` (nearest weekday) have no APScheduler equivalent and are refused with a clear error.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from shared.exceptions import ScheduleValidationError
from shared.scheduling.validation import (
    CronFields,
    ParsedExpression,
    parse_schedule_expression,
    validate_timezone,
)

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
EB_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")  # EventBridge 1..7
ORDINALS = ("1st", "2nd", "3rd", "4th", "5th")
BOUNDS = {"minute": (0, 59), "hour": (0, 23), "day": (1, 31), "month": (1, 12), "dow": (1, 7)}
_ONE_MICROSECOND = timedelta(microseconds=1)


def _number(token: str, field: str) -> int:
    if field == "month" and token in MONTHS:
        return MONTHS.index(token) + 1
    if field == "dow" and token in EB_WEEKDAYS:
        return EB_WEEKDAYS.index(token) + 1
    return int(token)


def expand(field_text: str, field: str) -> list[int] | None:
    """Return the sorted values a plain field selects, or None for ``*`` (every value)."""
    if field_text in ("*", "?"):
        return None
    low, high = BOUNDS[field]
    values: set[int] = set()
    for item in field_text.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            first, last = low, high
        else:
            first_text, dash, last_text = base.partition("-")
            first = _number(first_text, field)
            last = _number(last_text, field) if dash else (high if step_text else first)
        values.update(range(first, last + 1, step))
    return sorted(values)


def _plain(field_text: str, field: str) -> str | None:
    values = expand(field_text, field)
    return None if values is None else ",".join(str(v) for v in values)


def _unsupported(expression: str, what: str) -> ScheduleValidationError:
    return ScheduleValidationError(
        f"schedule expression {expression!r} uses {what}, which the local backend cannot "
        "run (APScheduler has no nearest-weekday rule); use an explicit day instead",
        details={"expression": expression},
    )


def _weekday_name(token: str) -> str:
    return EB_WEEKDAYS[_number(token, "dow") - 1].lower()


def cron_kwargs(fields: CronFields, expression: str) -> dict[str, Any]:
    """Return the ``CronTrigger`` keyword arguments for six EventBridge cron fields."""
    kwargs: dict[str, Any] = {
        "second": "0",
        "minute": _plain(fields.minutes, "minute") or "*",
        "hour": _plain(fields.hours, "hour") or "*",
        "month": _plain(fields.month, "month") or "*",
        "year": fields.year,  # '*', 'YYYY', 'YYYY-YYYY', lists and steps all map 1:1
    }
    dom, dow = fields.day_of_month, fields.day_of_week
    if "W" in dom:
        raise _unsupported(expression, f"the day-of-month rule {dom!r}")
    if dom == "L":
        kwargs["day"] = "last"
    else:
        kwargs["day"] = _plain(dom, "day") or "*"
    if dow == "L":  # alone, L is the last day of the week: Saturday
        kwargs["day_of_week"] = "sat"
    elif dow.endswith("L"):
        kwargs["day"] = f"last {_weekday_name(dow[:-1])}"
    elif "#" in dow:
        day, nth = dow.split("#")
        kwargs["day"] = f"{ORDINALS[int(nth) - 1]} {_weekday_name(day)}"
    else:
        values = expand(dow, "dow")
        if values is not None:
            kwargs["day_of_week"] = ",".join(EB_WEEKDAYS[v - 1].lower() for v in values)
    return kwargs


def build_trigger(expression: str, timezone: str, created_at: datetime) -> BaseTrigger:
    """Validate ``expression`` in ``timezone`` and return the APScheduler trigger.

    Parameters
    ----------
    expression:
        ``cron(...)`` (six EventBridge fields) or ``rate(...)``.
    timezone:
        IANA name the expression is read in.
    created_at:
        When the task was created; a ``rate`` task first fires one period after it.

    Raises
    ------
    ScheduleValidationError
        For an invalid expression or time zone (same errors as the EventBridge adapter), or
        for ``W``/``LW`` which this backend cannot run.
    """
    zone = validate_timezone(timezone)
    parsed: ParsedExpression = parse_schedule_expression(expression)
    if parsed.kind == "rate":
        assert parsed.interval_seconds is not None
        period = timedelta(seconds=parsed.interval_seconds)
        return IntervalTrigger(
            seconds=parsed.interval_seconds, start_date=created_at + period, timezone=zone
        )
    assert parsed.cron is not None
    try:
        return CronTrigger(
            timezone=zone, start_date=created_at, **cron_kwargs(parsed.cron, expression)
        )
    except ValueError as exc:  # a combination APScheduler refuses
        raise ScheduleValidationError(
            f"schedule expression {expression!r} cannot run locally: {exc}",
            details={"expression": expression},
        ) from exc


def first_fire(trigger: BaseTrigger, at_or_after: datetime) -> datetime | None:
    """Return the first tick at or after ``at_or_after`` (timezone-aware)."""
    result: datetime | None = trigger.get_next_fire_time(None, at_or_after)
    return result


def next_fire(trigger: BaseTrigger, after: datetime) -> datetime | None:
    """Return the first tick strictly after ``after`` (timezone-aware)."""
    result: datetime | None = trigger.get_next_fire_time(after, after + _ONE_MICROSECOND)
    return result


def from_epoch(epoch: float) -> datetime:
    """Return an aware UTC datetime."""
    return datetime.fromtimestamp(epoch, UTC)
