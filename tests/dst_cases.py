"""DST transitions of 2026, with every expected tick written out by hand (never computed).

Each case: the zone, the EventBridge expression, the same schedule as a cron(5) line and as
APScheduler fields (for the worker), the instant to start from, and the expected ticks in
UTC. Comments give the wall clock. Transitions (tzdata 2026):

- America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
- Europe/London: 2026-03-29 01:00 GMT -> 02:00 BST; 2026-10-25 02:00 BST -> 01:00 GMT.
- Australia/Lord_Howe (30 minutes): 2026-04-05 02:00 +11 -> 01:30 +10:30;
  2026-10-04 02:00 +10:30 -> 02:30 +11.
- America/Santiago (southern hemisphere): 2026-04-05 00:00 -03 -> 2026-04-04 23:00 -04;
  2026-09-06 00:00 -04 -> 01:00 -03.
- Asia/Seoul: no DST, always +09.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    """A UTC instant from literal parts."""
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


@dataclass(frozen=True)
class DstCase:
    """One schedule across one transition."""

    name: str
    zone: str
    expression: str
    crontab: str
    fields: dict[str, Any]
    start: datetime
    expected: list[datetime] = field(default_factory=list)


CASES = [
    DstCase(
        "new-york spring: 02:30 does not exist on 03-08, skipped",
        "America/New_York", "cron(30 2 * * ? *)", "30 2 * * *", {"hour": 2, "minute": 30},
        utc(2026, 3, 6, 12),
        # 03-07 02:30 EST, (03-08 skipped), 03-09 02:30 EDT, 03-10 02:30 EDT
        [utc(2026, 3, 7, 7, 30), utc(2026, 3, 9, 6, 30), utc(2026, 3, 10, 6, 30)],
    ),
    DstCase(
        "new-york spring: hourly jumps from 01:00 EST to 03:00 EDT",
        "America/New_York", "cron(0 * * * ? *)", "0 * * * *", {"minute": 0},
        utc(2026, 3, 8, 5, 30),
        # 01:00 EST, 03:00 EDT, 04:00 EDT
        [utc(2026, 3, 8, 6), utc(2026, 3, 8, 7), utc(2026, 3, 8, 8)],
    ),
    DstCase(
        "new-york fall: 01:30 happens twice on 11-01, runs once (the EDT one)",
        "America/New_York", "cron(30 1 * * ? *)", "30 1 * * *", {"hour": 1, "minute": 30},
        utc(2026, 10, 31, 0),
        # 10-31 01:30 EDT, 11-01 01:30 EDT (not again at 01:30 EST), 11-02 01:30 EST
        [utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)],
    ),
    DstCase(
        "new-york fall: hourly has no tick in the repeated hour",
        "America/New_York", "cron(0 * * * ? *)", "0 * * * *", {"minute": 0},
        utc(2026, 11, 1, 3, 30),
        # 00:00 EDT, 01:00 EDT, (01:00 EST skipped), 02:00 EST, 03:00 EST
        [utc(2026, 11, 1, 4), utc(2026, 11, 1, 5), utc(2026, 11, 1, 7), utc(2026, 11, 1, 8)],
    ),
    DstCase(
        "london spring: 01:30 does not exist on 03-29",
        "Europe/London", "cron(30 1 * * ? *)", "30 1 * * *", {"hour": 1, "minute": 30},
        utc(2026, 3, 28, 0),
        # 03-28 01:30 GMT, (03-29 skipped), 03-30 01:30 BST
        [utc(2026, 3, 28, 1, 30), utc(2026, 3, 30, 0, 30)],
    ),
    DstCase(
        "london fall: 01:30 twice on 10-25, once (BST)",
        "Europe/London", "cron(30 1 * * ? *)", "30 1 * * *", {"hour": 1, "minute": 30},
        utc(2026, 10, 24, 12),
        # 10-25 01:30 BST, 10-26 01:30 GMT
        [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)],
    ),
    DstCase(
        "lord-howe fall: 01:45 twice on 04-05 (+11 then +10:30), once",
        "Australia/Lord_Howe", "cron(45 1 * * ? *)", "45 1 * * *", {"hour": 1, "minute": 45},
        utc(2026, 4, 4, 0),
        # 04-05 01:45 +11, 04-06 01:45 +10:30
        [utc(2026, 4, 4, 14, 45), utc(2026, 4, 5, 15, 15)],
    ),
    DstCase(
        "lord-howe spring: 02:15 does not exist on 10-04, 02:45 does",
        "Australia/Lord_Howe", "cron(15,45 2 * * ? *)", "15,45 2 * * *",
        {"hour": 2, "minute": "15,45"},
        utc(2026, 10, 2, 12),
        # 10-03 02:15 and 02:45 +10:30; 10-04 (02:15 skipped) 02:45 +11; 10-05 02:15 +11
        [utc(2026, 10, 2, 15, 45), utc(2026, 10, 2, 16, 15), utc(2026, 10, 3, 15, 45),
         utc(2026, 10, 4, 15, 15)],
    ),
    DstCase(
        "santiago fall: 23:30 twice on 04-04 (-03 then -04), once",
        "America/Santiago", "cron(30 23 * * ? *)", "30 23 * * *", {"hour": 23, "minute": 30},
        utc(2026, 4, 3, 12),
        # 04-03 23:30 -03, 04-04 23:30 -03, 04-05 23:30 -04
        [utc(2026, 4, 4, 2, 30), utc(2026, 4, 5, 2, 30), utc(2026, 4, 6, 3, 30)],
    ),
    DstCase(
        "santiago spring: 00:30 does not exist on 09-06",
        "America/Santiago", "cron(30 0 * * ? *)", "30 0 * * *", {"hour": 0, "minute": 30},
        utc(2026, 9, 5, 0),
        # 09-05 00:30 -04, (09-06 skipped), 09-07 00:30 -03
        [utc(2026, 9, 5, 4, 30), utc(2026, 9, 7, 3, 30)],
    ),
    DstCase(
        "seoul: no DST, 02:30 every day while New York changes",
        "Asia/Seoul", "cron(30 2 * * ? *)", "30 2 * * *", {"hour": 2, "minute": 30},
        utc(2026, 3, 7, 0),
        # 03-08, 03-09, 03-10 02:30 KST
        [utc(2026, 3, 7, 17, 30), utc(2026, 3, 8, 17, 30), utc(2026, 3, 9, 17, 30)],
    ),
]  # fmt: skip
