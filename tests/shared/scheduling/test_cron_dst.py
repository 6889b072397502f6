"""The translation's DST rules, fold, rate, previous tick: expected instants written by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from shared.scheduling.cron import (
    build_trigger,
    first_fire,
    latest_fire_at_or_before,
    next_fire,
    next_run_at,
    preview,
    rate_start_date,
)
from tests.dst_cases import CASES, DstCase, utc

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_eventbridge_cron_across_dst(case: DstCase) -> None:
    ticks = preview(case.expression, case.zone, after=case.start, count=len(case.expected))
    assert [t.astimezone(UTC) for t in ticks] == case.expected
    assert all(t.tzinfo == ZoneInfo(case.zone) for t in ticks)  # shown on the task's clock


def as_utc(moment: datetime | None) -> datetime | None:
    """Compare in UTC: PEP 495 makes a time in a repeated hour unequal to any other zone's."""
    return None if moment is None else moment.astimezone(UTC)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_previous_tick_at_or_before(case: DstCase) -> None:
    trigger = build_trigger(case.expression, case.zone, case.start)
    last = case.expected[-1]
    assert as_utc(latest_fire_at_or_before(trigger, last)) == last
    for earlier, later in zip(case.expected, case.expected[1:], strict=False):
        just_before = datetime.fromtimestamp(later.timestamp() - 1, UTC)
        assert as_utc(latest_fire_at_or_before(trigger, just_before)) == earlier


def test_fold_of_the_instant_is_kept() -> None:
    trigger = build_trigger("cron(45 * * * ? *)", "America/New_York", utc(2026, 10, 1))
    first_pass = datetime(2026, 11, 1, 1, 30, fold=0, tzinfo=NEW_YORK)  # 05:30Z
    second_pass = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NEW_YORK)  # 06:30Z
    assert as_utc(next_fire(trigger, first_pass)) == utc(2026, 11, 1, 5, 45)  # 01:45 EDT
    assert as_utc(next_fire(trigger, second_pass)) == utc(2026, 11, 1, 7, 45)  # 02:45 EST
    assert as_utc(first_fire(trigger, second_pass)) == utc(2026, 11, 1, 7, 45)
    # rate(15 minutes) created 03:45Z: ticks at 04:00Z + k * 15 min, in elapsed time
    rate = build_trigger("rate(15 minutes)", "America/New_York", utc(2026, 11, 1, 3, 45))
    twenty_past = datetime(2026, 11, 1, 1, 20, fold=0, tzinfo=NEW_YORK)  # 05:20Z
    assert as_utc(next_fire(rate, twenty_past)) == utc(2026, 11, 1, 5, 30)
    assert as_utc(next_fire(rate, twenty_past.replace(fold=1))) == utc(2026, 11, 1, 6, 30)


def test_starting_inside_the_repeated_hour_finds_the_tick_after_it() -> None:
    ticks = preview(
        "cron(*/15 * * * ? *)",
        "America/New_York",
        after=datetime(2026, 11, 1, 1, 10, fold=1, tzinfo=NEW_YORK),  # 06:10Z
        count=2,
    )
    assert ticks == [utc(2026, 11, 1, 7, 0), utc(2026, 11, 1, 7, 15)]  # 02:00, 02:15 EST


def test_rate_is_elapsed_time_and_starts_one_period_after_creation() -> None:
    # created 2026-03-07 09:00:00.2 EST; rate(1 day) = 24 h, so 10:00:01 EDT after the change
    created = datetime(2026, 3, 7, 14, 0, 0, 200_000, tzinfo=UTC)
    assert rate_start_date(created, 86400) == utc(2026, 3, 8, 14, 0, 1)
    ticks = preview("rate(1 day)", "America/New_York", after=created, count=3)
    assert ticks == [
        utc(2026, 3, 8, 14, 0, 1),
        utc(2026, 3, 9, 14, 0, 1),
        utc(2026, 3, 10, 14, 0, 1),
    ]
    whole = datetime(2026, 3, 7, 14, 0, 0, tzinfo=UTC)
    assert rate_start_date(whole, 300) == utc(2026, 3, 7, 14, 5, 0)


def test_rate_previous_tick() -> None:
    trigger = build_trigger("rate(5 minutes)", "UTC", datetime(2026, 1, 1, 12, 0, 0, 200_000, UTC))
    assert as_utc(latest_fire_at_or_before(trigger, utc(2026, 1, 1, 12, 17))) == utc(
        2026, 1, 1, 12, 15, 1
    )
    assert as_utc(latest_fire_at_or_before(trigger, utc(2026, 1, 1, 12, 5, 1))) == utc(
        2026, 1, 1, 12, 5, 1
    )
    assert as_utc(latest_fire_at_or_before(trigger, utc(2026, 1, 1, 12, 5))) is None


def test_previous_tick_far_back_and_never() -> None:
    yearly = build_trigger("cron(0 0 1 1 ? *)", "Asia/Seoul", utc(2026, 6, 1))
    assert as_utc(latest_fire_at_or_before(yearly, utc(2026, 6, 1))) == utc(2025, 12, 31, 15)
    future_only = build_trigger("cron(0 0 1 1 ? 2030)", "UTC", utc(2026, 6, 1))
    assert as_utc(latest_fire_at_or_before(future_only, utc(2026, 6, 1))) is None


def test_next_run_at_of_a_stored_task() -> None:
    assert next_run_at(
        "cron(30 2 * * ? *)", "America/New_York", now=utc(2026, 3, 8, 0), created_at=None
    ) == utc(2026, 3, 9, 6, 30)
    start = utc(2026, 3, 1, 0, 0, 7)  # EventBridge StartDate of a rate(1 hour) task
    assert next_run_at(
        "rate(1 hour)", "UTC", now=utc(2026, 3, 8, 10, 30), created_at=start, start_date=start
    ) == utc(2026, 3, 8, 11, 0, 7)
    assert next_run_at("cron(bad)", "UTC", now=utc(2026, 3, 8), created_at=None) is None
