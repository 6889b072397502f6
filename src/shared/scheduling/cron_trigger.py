"""``WallClockCronTrigger``: cron ticks on a zone's wall clock with EventBridge's DST rules.

APScheduler 3's ``CronTrigger`` does the field matching, but on *naive wall-clock time*
(it is given UTC so that no offset ever moves a candidate). Each matching wall time is then
placed in the real zone by the rules EventBridge Scheduler documents:

- a wall time that does not exist (the hour skipped when clocks go forward) has no tick;
- a wall time that occurs twice (clocks go back) has ONE tick, at its first occurrence
  (the earlier instant, at the offset in force before the change).

Instants given to it may be in any zone and carry any ``fold``: they are compared in UTC.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

_SECOND = timedelta(seconds=1)
_MICROSECOND = timedelta(microseconds=1)
_MAX_LOOKBACK = timedelta(days=366 * 200)


def resolve_wall_time(wall: datetime, zone: tzinfo) -> datetime | None:
    """Return the instant of naive ``wall`` in ``zone``: None in a gap, the first of a fold.

    Parameters
    ----------
    wall : datetime
        A naive wall-clock time.
    zone : tzinfo
        The zone whose clock shows it.

    Returns
    -------
    datetime or None
        The aware instant (in ``zone``, ``fold`` set correctly), or None when that wall time
        is skipped by a forward clock change.
    """
    instant = wall.replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone)
    return instant if instant.replace(tzinfo=None) == wall.replace(fold=0) else None


def nearest_weekday(year: int, month: int, rule: int | str) -> int | None:
    """Return the day of ``nW`` (``rule`` = n) or ``LW`` (``rule`` = "L"); None if no day n.

    The nearest Monday-Friday to the day, never leaving the month: a Saturday moves to the
    Friday before (or, on the 1st, to Monday the 3rd), a Sunday to the Monday after (or, on
    the month's last day, to the Friday before).
    """
    last = calendar.monthrange(year, month)[1]
    day = last if rule == "L" else int(rule)
    if day > last:
        return None
    weekday = date(year, month, day).weekday()  # Monday = 0
    if weekday == 5:
        return day + 2 if day == 1 else day - 1
    if weekday == 6:
        return day - 2 if day == last else day + 1
    return day


def _first_of_next_month(wall: datetime) -> datetime:
    year, month = (wall.year + 1, 1) if wall.month == 12 else (wall.year, wall.month + 1)
    return datetime(year, month, 1)


class WallClockCronTrigger(BaseTrigger):  # type: ignore[misc]
    """An APScheduler trigger whose ticks follow EventBridge Scheduler's cron semantics.

    Parameters
    ----------
    alternatives : sequence of dict
        ``CronTrigger`` keyword sets; a wall time matches when it matches any of them.
    zone : tzinfo
        The zone whose wall clock the fields describe.
    nearest_weekday : int or "L", optional
        EventBridge's ``nW`` / ``LW`` day-of-month rule.
    start_date, end_date : datetime, optional
        Aware bounds (inclusive).
    text : str
        Shown by ``str()`` (logs, previews).
    """

    jitter = None

    def __init__(
        self,
        alternatives: Sequence[dict[str, object]],
        zone: tzinfo,
        *,
        nearest_weekday: int | str | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        text: str = "",
    ) -> None:
        self.zone = zone
        self.matchers = [CronTrigger(timezone=UTC, **kwargs) for kwargs in alternatives]
        self.nearest = nearest_weekday
        self.start_date = start_date.astimezone(UTC) if start_date else None
        self.end_date = end_date.astimezone(UTC) if end_date else None
        self.text = text

    def __str__(self) -> str:
        return f"cron[{self.text}] in {self.zone}"

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """APScheduler's hook: the tick after the previous one, or the first at/after now."""
        if previous_fire_time is not None:
            return self.next_after(previous_fire_time)
        return self.next_at_or_after(now)

    def next_after(self, instant: datetime) -> datetime | None:
        """Return the first tick strictly after the aware ``instant``."""
        return self.next_at_or_after(instant.astimezone(UTC) + _MICROSECOND)

    def next_at_or_after(self, instant: datetime) -> datetime | None:
        """Return the first tick at or after the aware ``instant`` (in the trigger's zone)."""
        floor = instant.astimezone(UTC)
        if self.start_date is not None and floor < self.start_date:
            floor = self.start_date
        wall: datetime | None = floor.astimezone(self.zone).replace(tzinfo=None, fold=0)
        while wall is not None:
            wall = self._next_wall(wall)
            if wall is None:
                return None
            tick = resolve_wall_time(wall, self.zone)
            if tick is not None and tick >= floor:
                if self.end_date is not None and tick > self.end_date:
                    return None
                return tick
            wall = wall + _SECOND  # skipped (gap) or an earlier instant (second pass of a fold)
        return None

    def latest_at_or_before(self, instant: datetime) -> datetime | None:
        """Return the last tick at or before the aware ``instant``, or None if there is none."""
        ceiling = instant.astimezone(UTC)
        window = timedelta(hours=1)
        found = self.next_at_or_after(ceiling - window)
        while found is None or found > ceiling:
            if window > _MAX_LOOKBACK:
                return None
            window *= 2
            found = self.next_at_or_after(ceiling - window)
        low, high = ceiling - window, ceiling  # next_at_or_after(low) <= ceiling
        while high - low > _SECOND:
            middle = low + (high - low) / 2
            candidate = self.next_at_or_after(middle)
            if candidate is not None and candidate <= ceiling:
                low, found = middle, candidate
            else:
                high = middle
        following = self.next_after(found)
        while following is not None and following <= ceiling:
            found, following = following, self.next_after(following)
        return found

    def _next_wall(self, wall: datetime) -> datetime | None:
        """First wall time at or after naive ``wall`` that the fields (and W rule) select."""
        cursor: datetime | None = wall
        while cursor is not None:
            fake = cursor.replace(tzinfo=UTC)
            found = [m.get_next_fire_time(None, fake) for m in self.matchers]
            candidates = [f for f in found if f is not None]
            if not candidates:
                return None
            match: datetime = min(candidates).replace(tzinfo=None)
            if self.nearest is None:
                return match
            day = nearest_weekday(match.year, match.month, self.nearest)
            if day == match.day:
                return match
            if day is not None and match.day < day:
                cursor = datetime(match.year, match.month, day)
            else:
                cursor = _first_of_next_month(match)
        return None
