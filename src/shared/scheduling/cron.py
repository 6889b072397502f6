"""The one cron/rate/crontab translation: expressions → APScheduler 3 triggers → ticks.

The local backend, the API (preview, ``next_run_at``) and the batch worker all compute their
ticks here, so they agree with each other and with EventBridge Scheduler:

- ``cron(...)`` (EventBridge, six fields, 1 = SUN) and crontab lines (cron(5), 0/7 = Sunday)
  are matched against the wall clock of the zone; a wall time skipped when clocks go forward
  has no tick, a wall time repeated when they go back ticks once (its first occurrence);
  ``nW``/``LW`` pick the nearest weekday. See ``cron_trigger`` and ``cron_fields``.
- ``rate(n unit)`` ticks every period in elapsed time (DST does not move it), the first one
  exactly one period after creation, the creation time rounded up to the whole second.
  The EventBridge adapter sends that first tick as the schedule's ``StartDate``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from shared.exceptions import ScheduleValidationError
from shared.scheduling.cron_fields import crontab_rule, eventbridge_rule
from shared.scheduling.cron_trigger import WallClockCronTrigger
from shared.scheduling.validation import (
    MAX_PREVIEW_COUNT,
    parse_schedule_expression,
    validate_timezone,
)

__all__ = [
    "MAX_PREVIEW_COUNT",
    "WallClockCronTrigger",
    "build_trigger",
    "crontab_trigger",
    "fields_trigger",
    "first_fire",
    "from_epoch",
    "latest_fire_at_or_before",
    "next_fire",
    "next_run_at",
    "preview",
    "rate_start_date",
    "wall_clock_trigger",
]

_MICROSECOND = timedelta(microseconds=1)


def rate_start_date(created_at: datetime, interval_seconds: int) -> datetime:
    """Return the first tick of a ``rate()`` task created at ``created_at`` (UTC).

    One period after the creation time rounded up to the whole second: a task created at
    12:00:00.2Z with ``rate(5 minutes)`` first fires at 12:05:01Z.
    """
    created = created_at.astimezone(UTC)
    whole = created.replace(microsecond=0)
    if whole != created:
        whole += timedelta(seconds=1)
    return whole + timedelta(seconds=interval_seconds)


def build_trigger(
    expression: str, timezone: str, created_at: datetime, *, start_date: datetime | None = None
) -> BaseTrigger:
    """Validate an EventBridge ``cron(...)``/``rate(...)`` in ``timezone``; return its trigger.

    Parameters
    ----------
    expression : str
        ``cron(...)`` (six EventBridge fields) or ``rate(...)``.
    timezone : str
        IANA name the expression is read in.
    created_at : datetime
        When the task was created (aware); a ``rate`` task first fires one period later.
    start_date : datetime, optional
        The first tick of a ``rate`` task when known (EventBridge's ``StartDate``).

    Raises
    ------
    ScheduleValidationError
        For an invalid expression or time zone (the errors the EventBridge adapter gives).
    """
    zone = validate_timezone(timezone)
    parsed = parse_schedule_expression(expression)
    if parsed.kind == "rate":
        assert parsed.interval_seconds is not None
        first = start_date or rate_start_date(created_at, parsed.interval_seconds)
        return IntervalTrigger(seconds=parsed.interval_seconds, start_date=first, timezone=zone)
    assert parsed.cron is not None
    rule = eventbridge_rule(parsed.cron)
    return WallClockCronTrigger(
        rule.alternatives, zone, nearest_weekday=rule.nearest_weekday, text=parsed.expression
    )


def crontab_trigger(line: str, zone: tzinfo) -> WallClockCronTrigger:
    """Return the trigger of a cron(5) line (``"0 9 * * 1-5"``: Monday-Friday 09:00) in ``zone``.

    Raises
    ------
    ScheduleValidationError
        For a line cron(5) does not accept.
    """
    rule = crontab_rule(line)
    return WallClockCronTrigger(rule.alternatives, zone, text=f"crontab {line.strip()!r}")


def fields_trigger(zone: tzinfo, **fields: Any) -> WallClockCronTrigger:
    """Return a trigger from APScheduler ``CronTrigger`` fields read on ``zone``'s wall clock.

    Weekday numbers are refused (APScheduler counts 0 = Monday, crontab 0 = Sunday): name
    them (``day_of_week="mon-fri"``). ``start_date``/``end_date`` may be naive (read in
    ``zone``) or aware.

    Raises
    ------
    ValueError, TypeError
        For fields ``CronTrigger`` refuses, or a numeric ``day_of_week``.
    """
    bounds = {key: fields.pop(key, None) for key in ("start_date", "end_date")}
    weekdays = str(fields.get("day_of_week", ""))
    if any(ch.isdigit() for ch in weekdays):
        raise ValueError(
            f"day_of_week={weekdays!r}: weekday numbers are ambiguous (APScheduler counts "
            "0 = Monday, crontab 0 = Sunday); use names such as 'mon-fri'"
        )
    CronTrigger(timezone=zone, **fields)  # APScheduler's own checks and messages
    text = ", ".join(f"{key}={value!r}" for key, value in fields.items())
    return WallClockCronTrigger(
        [fields],
        zone,
        text=text,
        start_date=_aware(bounds["start_date"], zone),
        end_date=_aware(bounds["end_date"], zone),
    )


def wall_clock_trigger(trigger: CronTrigger) -> WallClockCronTrigger:
    """Return ``trigger`` (an APScheduler ``CronTrigger`` object) with the wall-clock rules."""
    wrapped = WallClockCronTrigger(
        [],
        trigger.timezone,
        start_date=trigger.start_date,
        end_date=trigger.end_date,
        text=str(trigger),
    )
    matcher = CronTrigger(timezone=UTC)
    matcher.fields = trigger.fields
    wrapped.matchers = [matcher]
    return wrapped


def _aware(value: Any, zone: tzinfo) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        raise TypeError(f"expected a datetime, got {value!r}")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def first_fire(trigger: BaseTrigger, at_or_after: datetime) -> datetime | None:
    """Return the first tick at or after the aware ``at_or_after``."""
    result: datetime | None = trigger.get_next_fire_time(None, at_or_after)
    return result


def next_fire(trigger: BaseTrigger, after: datetime) -> datetime | None:
    """Return the first tick strictly after the aware ``after`` (its ``fold`` is honoured)."""
    if isinstance(trigger, WallClockCronTrigger):
        return trigger.next_after(after)
    return first_fire(trigger, after.astimezone(UTC) + _MICROSECOND)


def latest_fire_at_or_before(trigger: BaseTrigger, instant: datetime) -> datetime | None:
    """Return the most recent tick at or before the aware ``instant`` (None if none yet)."""
    if isinstance(trigger, WallClockCronTrigger):
        return trigger.latest_at_or_before(instant)
    if isinstance(trigger, IntervalTrigger):
        start: datetime = trigger.start_date
        elapsed = (instant - start).total_seconds()
        if elapsed < 0:
            return None
        periods = math.floor(elapsed / trigger.interval_length)
        tick: datetime = (start + trigger.interval * periods).astimezone(trigger.timezone)
        return tick
    raise TypeError(f"no previous-tick rule for {type(trigger).__name__}")


def preview(expression: str, timezone: str, *, after: datetime, count: int) -> list[datetime]:
    """Return the next ``count`` ticks after ``after`` of a task created at ``after``.

    Raises
    ------
    ScheduleValidationError
        The errors task creation gives for the same expression and time zone, or a count
        outside 1-``MAX_PREVIEW_COUNT``.
    """
    if not 1 <= count <= MAX_PREVIEW_COUNT:
        raise ScheduleValidationError(f"count must be 1-{MAX_PREVIEW_COUNT}, got {count}")
    trigger = build_trigger(expression, timezone, after)
    ticks: list[datetime] = []
    tick = first_fire(trigger, after)
    while tick is not None and len(ticks) < count:
        ticks.append(tick)
        tick = next_fire(trigger, tick)
    return ticks


def next_run_at(
    expression: str, timezone: str, *, now: datetime, created_at: datetime | None,
    start_date: datetime | None = None,
) -> datetime | None:  # fmt: skip
    """Return a recurring task's next tick at or after ``now``; None if it never fires again.

    An expression this translation cannot read (a schedule made outside this product) gives
    None rather than an error: it is information, not validation.
    """
    try:
        trigger = build_trigger(expression, timezone, created_at or now, start_date=start_date)
    except ScheduleValidationError:
        return None
    return first_fire(trigger, now)


def from_epoch(epoch: float) -> datetime:
    """Return an aware UTC datetime for an epoch time."""
    return datetime.fromtimestamp(epoch, UTC)
