"""Property: the translation's ticks equal a brute-force minute scan of the cron fields.

Random EventBridge expressions and crontab lines, random zones, windows of 48 hours placed
around real 2026 DST transitions. The scan knows nothing of the translation: it walks every
UTC minute, reads the wall clock with ``zoneinfo``, matches the fields with plain set
membership (nearest weekday by distance), and lets each wall time tick only the first time
the clock shows it (so a repeated hour ticks once and a skipped hour never).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.base import BaseTrigger
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.scheduling.cron import build_trigger, crontab_trigger, first_fire, next_fire

pytestmark = pytest.mark.timeout(300)

TRANSITIONS = {  # 2026, from tzdata; Seoul has none (any day will do)
    "America/New_York": [datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC)],
    "Europe/London": [datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)],
    "Australia/Lord_Howe": [
        datetime(2026, 4, 4, 15, tzinfo=UTC),
        datetime(2026, 10, 3, 15, 30, tzinfo=UTC),
    ],
    "America/Santiago": [datetime(2026, 4, 5, 3, tzinfo=UTC), datetime(2026, 9, 6, 4, tzinfo=UTC)],
    "Asia/Seoul": [datetime(2026, 3, 8, 7, tzinfo=UTC)],
}
WINDOW = timedelta(hours=48)
SEED = timedelta(hours=3)
EB_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True)
class Field:
    text: str
    values: frozenset[int]


def numeric_field(low: int, high: int, star: str = "*") -> st.SearchStrategy[Field]:
    everything = frozenset(range(low, high + 1))
    steps = st.integers(1, min(12, high - low + 1))  # EventBridge: a step fits its field
    single = st.integers(low, high).map(lambda n: Field(str(n), frozenset([n])))
    spans = st.tuples(st.integers(low, high), st.integers(low, high)).map(sorted)
    ranged = spans.map(lambda ab: Field(f"{ab[0]}-{ab[1]}", frozenset(range(ab[0], ab[1] + 1))))
    listed = st.sets(st.integers(low, high), min_size=1, max_size=5).map(
        lambda vs: Field(",".join(map(str, sorted(vs))), frozenset(vs))
    )
    stepped = st.tuples(st.integers(low, high), steps).map(
        lambda ak: Field(f"{ak[0]}-{high}/{ak[1]}", frozenset(range(ak[0], high + 1, ak[1])))
    )
    star_step = steps.map(lambda k: Field(f"{star}/{k}", frozenset(range(low, high + 1, k))))
    return st.one_of(st.just(Field(star, everything)), single, ranged, listed, stepped, star_step)


def nearest_weekday_by_distance(day: date, n: int | None) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    target = last if n is None else n
    if target > last:
        return False
    weekdays = [d for d in range(1, last + 1) if date(day.year, day.month, d).weekday() < 5]
    return day.day == min(weekdays, key=lambda d: abs(d - target))


def scan(zone: ZoneInfo, start: datetime, matches: Callable[[datetime], bool]) -> list[datetime]:
    """Every UTC minute in the window whose wall clock matches, first showing only."""
    seen: set[datetime] = set()
    ticks: list[datetime] = []
    moment = start - SEED
    while moment < start + WINDOW:
        wall = moment.astimezone(zone).replace(tzinfo=None, fold=0)
        if wall not in seen:
            seen.add(wall)
            if moment >= start and matches(wall):
                ticks.append(moment)
        moment += timedelta(minutes=1)
    return ticks


def translated(trigger: BaseTrigger, start: datetime) -> list[datetime]:
    ticks: list[datetime] = []
    tick = first_fire(trigger, start)
    while tick is not None and tick < start + WINDOW:
        ticks.append(tick.astimezone(UTC))
        tick = next_fire(trigger, tick)
    return ticks


windows = st.sampled_from(sorted(TRANSITIONS)).flatmap(
    lambda name: st.tuples(
        st.just(name),
        st.sampled_from(TRANSITIONS[name]),
        st.integers(-36 * 60, 12 * 60),  # window start, minutes from the transition
    )
)
day_rule = st.one_of(
    numeric_field(1, 31).map(lambda f: ("dom", f.text, f)),
    st.sampled_from(["L", "LW"]).map(lambda t: ("dom", t, None)),
    st.integers(1, 31).map(lambda n: ("dom", f"{n}W", n)),
    numeric_field(1, 7).map(lambda f: ("dow", f.text, f)),
    st.sets(st.integers(1, 7), min_size=1, max_size=4).map(
        lambda vs: ("dow", ",".join(EB_DAYS[v - 1] for v in sorted(vs)), Field("", frozenset(vs)))
    ),
)
quick = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@quick
@given(windows, numeric_field(0, 59), numeric_field(0, 23), day_rule)
def test_eventbridge_cron_equals_a_minute_scan(
    window: tuple[str, datetime, int], minute: Field, hour: Field, day: tuple[str, str, object]
) -> None:
    name, transition, offset = window
    zone, start = ZoneInfo(name), transition + timedelta(minutes=offset)
    kind, text, rule = day
    dom, dow = (text, "?") if kind == "dom" else ("?", text)
    expression = f"cron({minute.text} {hour.text} {dom} * {dow} *)"

    def matches(wall: datetime) -> bool:
        if wall.minute not in minute.values or wall.hour not in hour.values:
            return False
        if kind == "dow":
            assert isinstance(rule, Field)
            return (wall.isoweekday() % 7) + 1 in rule.values  # 1 = SUN
        if text in ("L", "LW") or text.endswith("W"):
            if text == "L":
                return wall.day == calendar.monthrange(wall.year, wall.month)[1]
            return nearest_weekday_by_distance(
                wall.date(), None if text == "LW" else int(text[:-1])
            )
        assert isinstance(rule, Field)
        return wall.day in rule.values

    trigger = build_trigger(expression, name, start)
    assert translated(trigger, start) == scan(zone, start, matches), expression


@quick
@given(
    windows,
    numeric_field(0, 59),
    numeric_field(0, 23),
    numeric_field(1, 31),
    numeric_field(0, 7),
    st.booleans(),
)
def test_crontab_equals_a_minute_scan(
    window: tuple[str, datetime, int],
    minute: Field,
    hour: Field,
    dom: Field,
    dow: Field,
    names: bool,
) -> None:
    name, transition, offset = window
    zone, start = ZoneInfo(name), transition + timedelta(minutes=offset)
    dow_text = dow.text
    if names and "*" not in dow.text and "/" not in dow.text:
        dow_text = ",".join(EB_DAYS[v % 7].lower() for v in sorted(dow.values))
    line = f"{minute.text} {hour.text} {dom.text} * {dow_text}"
    sundays = {0 if v == 7 else v for v in dow.values}  # cron(5): 0 and 7 are Sunday
    either = not dom.text.startswith("*") and not dow.text.startswith("*")

    def matches(wall: datetime) -> bool:
        if wall.minute not in minute.values or wall.hour not in hour.values:
            return False
        day_ok, weekday_ok = wall.day in dom.values, wall.isoweekday() % 7 in sundays
        return (day_ok or weekday_ok) if either else (day_ok and weekday_ok)

    trigger = crontab_trigger(line, zone)
    assert translated(trigger, start) == scan(zone, start, matches), line
