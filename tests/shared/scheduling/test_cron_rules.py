"""EventBridge cron/rate expressions → triggers (``shared.scheduling.cron``), rule by rule."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from shared.exceptions import ScheduleValidationError
from shared.scheduling.cron import build_trigger, first_fire, next_fire

SEOUL = ZoneInfo("Asia/Seoul")
UTC = ZoneInfo("UTC")
# Saturday 2026-01-03 10:30 UTC
START = datetime(2026, 1, 3, 10, 30, tzinfo=UTC)


def ticks(expression: str, count: int = 3, zone: str = "UTC") -> list[datetime]:
    trigger = build_trigger(expression, zone, START)
    found: list[datetime] = []
    tick = first_fire(trigger, START)
    while tick is not None and len(found) < count:
        found.append(tick.astimezone(ZoneInfo(zone)).replace(tzinfo=None))
        tick = next_fire(trigger, tick)
    return found


def test_weekdays_in_a_time_zone() -> None:
    assert ticks("cron(0 9 ? * MON-FRI *)", 3, "Asia/Seoul") == [
        datetime(2026, 1, 5, 9, 0),  # Monday 09:00 KST (START is Saturday 19:30 KST)
        datetime(2026, 1, 6, 9, 0),
        datetime(2026, 1, 7, 9, 0),
    ]


@pytest.mark.parametrize(
    ("dow", "weekday"),
    [("1", 6), ("SUN", 6), ("2", 0), ("6", 4), ("7", 5), ("SAT", 5)],
)
def test_day_of_week_numbers_count_from_sunday(dow: str, weekday: int) -> None:
    [tick] = ticks(f"cron(0 12 ? * {dow} *)", 1)
    assert tick.weekday() == weekday  # Python: Monday == 0


def test_day_of_week_ranges_and_lists_expand() -> None:
    days = {t.weekday() for t in ticks("cron(0 12 ? * 1-3,7 *)", 8)}
    assert days == {6, 0, 1, 5}  # SUN, MON, TUE, SAT


def test_last_day_of_month() -> None:
    assert ticks("cron(0 10 L * ? *)", 2) == [datetime(2026, 1, 31, 10), datetime(2026, 2, 28, 10)]


def test_last_friday_of_month() -> None:
    assert ticks("cron(0 10 ? * 6L *)", 2) == [datetime(2026, 1, 30, 10), datetime(2026, 2, 27, 10)]


def test_nth_weekday_of_month() -> None:
    assert ticks("cron(0 10 ? * MON#1 *)", 2) == [
        datetime(2026, 1, 5, 10),
        datetime(2026, 2, 2, 10),
    ]
    assert ticks("cron(0 10 ? * 6#3 *)", 1) == [datetime(2026, 1, 16, 10)]


def test_steps_mean_what_eventbridge_means() -> None:
    assert ticks("cron(50/15 * * * ? *)", 2) == [
        datetime(2026, 1, 3, 10, 50),
        datetime(2026, 1, 3, 11, 50),
    ]
    assert ticks("cron(0/20 10 * * ? *)", 2) == [
        datetime(2026, 1, 3, 10, 40),
        datetime(2026, 1, 4, 10, 0),
    ]
    assert ticks("cron(0 8 1/10 JAN-FEB ? 2026)", 4) == [
        datetime(2026, 1, 11, 8), datetime(2026, 1, 21, 8),
        datetime(2026, 1, 31, 8), datetime(2026, 2, 1, 8),
    ]  # fmt: skip


def test_fires_to_the_second_never_with_seconds() -> None:
    assert all(t.second == 0 and t.microsecond == 0 for t in ticks("cron(*/7 * * * ? *)", 5))


def test_year_limits_the_ticks() -> None:
    assert ticks("cron(0 0 1 1 ? 2027)", 3) == [datetime(2027, 1, 1)]


def test_rate_first_fires_one_period_after_creation() -> None:
    assert ticks("rate(5 minutes)", 3) == [
        datetime(2026, 1, 3, 10, 35), datetime(2026, 1, 3, 10, 40), datetime(2026, 1, 3, 10, 45)
    ]  # fmt: skip


def test_nearest_weekday_stays_in_its_month() -> None:
    # 2026-02-15 is a Sunday -> Monday 16th; 2026-03-15 Sunday -> 16th; 2026-08-15 Saturday -> 14th
    assert ticks("cron(0 8 15W * ? *)", 4) == [
        datetime(2026, 1, 15, 8), datetime(2026, 2, 16, 8),
        datetime(2026, 3, 16, 8), datetime(2026, 4, 15, 8),
    ]  # fmt: skip
    # 2026-08-01 is a Saturday: 1W moves forward to Monday the 3rd, never into July
    assert ticks("cron(0 8 1W 8 ? 2026)", 1) == [datetime(2026, 8, 3, 8)]
    # 2026-05-31 is a Sunday and the month's last day: 31W moves back to Friday the 29th;
    # months without a 31st have no 31W tick
    assert ticks("cron(0 8 31W * ? 2026)", 3) == [
        datetime(2026, 1, 30, 8), datetime(2026, 3, 31, 8), datetime(2026, 5, 29, 8),
    ]  # fmt: skip


def test_last_weekday_of_month() -> None:
    # 2026-01-31 Saturday -> 30th; 2026-02-28 Saturday -> 27th; 2026-05-31 Sunday -> 29th
    assert ticks("cron(0 8 LW * ? *)", 5) == [
        datetime(2026, 1, 30, 8), datetime(2026, 2, 27, 8), datetime(2026, 3, 31, 8),
        datetime(2026, 4, 30, 8), datetime(2026, 5, 29, 8),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "expression", ["cron(0 9 * * *)", "cron(0 9 * * MON *)", "rate(0 minutes)", "every day"]
)
def test_bad_expressions_get_the_shared_validation_error(expression: str) -> None:
    with pytest.raises(ScheduleValidationError, match=r"invalid schedule expression|non-empty"):
        build_trigger(expression, "UTC", START)


def test_unknown_time_zone() -> None:
    with pytest.raises(ScheduleValidationError, match="unknown time zone"):
        build_trigger("rate(1 hour)", "Mars/Olympus", START)
