"""The worker's cron ticks: cron(5) weekdays, EventBridge's DST rules, the preview command.

Triggers are driven through APScheduler's own protocol (``get_next_fire_time(previous,
now)``), exactly as the worker's scheduler calls them. Expected instants are written by hand.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from shared.exceptions import ConfigurationError
from tests.dst_cases import CASES, DstCase, utc
from tests.worker.preview_pkg.jobs import REGISTRY
from worker.preview import preview_main
from worker.registry import JobSpec, Registry, batch_schedule
from worker.triggers import build_trigger, zone

ROOT = Path(__file__).resolve().parents[2]


def _spec(trigger: Any, **args: Any) -> JobSpec:
    registry = Registry()
    batch_schedule(trigger, job_id="t", registry=registry, **args)(lambda: None)
    return registry.jobs()[0]


def run_ticks(trigger: BaseTrigger, start: datetime, count: int) -> list[datetime]:
    """What APScheduler does: first tick at/after now, then the one after each run time."""
    found: list[datetime] = []
    tick = trigger.get_next_fire_time(None, start)
    while tick is not None and len(found) < count:
        found.append(tick.astimezone(UTC))
        tick = trigger.get_next_fire_time(tick, tick)
    return found


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_worker_follows_eventbridge_across_dst(case: DstCase) -> None:
    tz = zone(case.zone)
    count = len(case.expected)
    crontab = build_trigger(_spec("cron", crontab=case.crontab), tz)
    fields = build_trigger(_spec("cron", **case.fields), tz)
    as_object = build_trigger(_spec(CronTrigger(timezone=tz, **case.fields)), tz)
    assert run_ticks(crontab, case.start, count) == case.expected
    assert run_ticks(fields, case.start, count) == case.expected
    assert run_ticks(as_object, case.start, count) == case.expected


# Saturday 2026-01-03 12:00Z; 09:00 in Seoul is 00:00Z
WEEK_START = utc(2026, 1, 3, 12)
MON_TO_FRI = [utc(2026, 1, 5), utc(2026, 1, 6), utc(2026, 1, 7), utc(2026, 1, 8), utc(2026, 1, 9),
              utc(2026, 1, 12)]  # fmt: skip


@pytest.mark.parametrize("line", ["0 9 * * 1-5", "0 9 * * mon-fri", "0 9 * * MON-FRI"])
def test_crontab_weekdays_are_monday_to_friday(line: str) -> None:
    trigger = build_trigger(_spec("cron", crontab=line), zone("Asia/Seoul"))
    assert run_ticks(trigger, WEEK_START, 6) == MON_TO_FRI


@pytest.mark.parametrize("line", ["0 9 * * 0", "0 9 * * 7", "0 9 * * sun", "@weekly"])
def test_crontab_sunday_is_0_and_7(line: str) -> None:
    trigger = build_trigger(_spec("cron", crontab=line), zone("UTC"))
    hour = 0 if line == "@weekly" else 9
    assert run_ticks(trigger, WEEK_START, 2) == [utc(2026, 1, 4, hour), utc(2026, 1, 11, hour)]


def test_crontab_day_of_month_or_day_of_week_as_in_cron5() -> None:
    trigger = build_trigger(_spec("cron", crontab="30 4 1,15 * 5"), zone("UTC"))
    # the 1st and 15th (whatever weekday) AND every Friday
    assert run_ticks(trigger, utc(2026, 1, 1), 5) == [
        utc(2026, 1, 1, 4, 30), utc(2026, 1, 2, 4, 30), utc(2026, 1, 9, 4, 30),
        utc(2026, 1, 15, 4, 30), utc(2026, 1, 16, 4, 30),
    ]  # fmt: skip
    starred = build_trigger(_spec("cron", crontab="30 4 */10 * 5"), zone("UTC"))
    # a field starting with '*' makes it AND: Fridays that are the 1st, 11th, 21st or 31st
    assert run_ticks(starred, utc(2026, 1, 1), 2) == [
        utc(2026, 5, 1, 4, 30),
        utc(2026, 7, 31, 4, 30),
    ]


def test_bad_crontabs_and_numeric_weekday_fields_are_refused_at_declaration_or_build() -> None:
    with pytest.raises(ConfigurationError, match="not cron"):
        _spec("cron", crontab="0 8 15W * *")
    with pytest.raises(ConfigurationError, match="needs 5 fields"):
        _spec("cron", crontab="0 8 * * ? *")
    with pytest.raises(ConfigurationError, match="goes downwards"):
        _spec("cron", crontab="0 8 * * 5-1")
    with pytest.raises(ConfigurationError, match="use names such as 'mon-fri'"):
        build_trigger(_spec("cron", hour=9, day_of_week="0-4"), zone("UTC"))


NEW_YORK_PREVIEW = """\
BATCH_TIMEZONE=America/New_York
weekday-report  cron[crontab '0 9 * * 1-5'] in America/New_York
  Fri 2026-10-30T09:00:00-04:00  (2026-10-30T13:00:00Z)
  Mon 2026-11-02T09:00:00-05:00  (2026-11-02T14:00:00Z)
  Tue 2026-11-03T09:00:00-05:00  (2026-11-03T14:00:00Z)
night-sweep  cron[hour=1, minute=30] in America/New_York
  Sat 2026-10-31T01:30:00-04:00  (2026-10-31T05:30:00Z)
  Sun 2026-11-01T01:30:00-04:00  (2026-11-01T05:30:00Z)
  Mon 2026-11-02T01:30:00-05:00  (2026-11-02T06:30:00Z)
"""


def test_preview_lists_every_job_with_its_ticks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATCH_TIMEZONE", "America/New_York")
    monkeypatch.setenv("BATCH_SCHEDULES_PACKAGES", "tests.worker.preview_pkg")
    out = io.StringIO()
    code = preview_main(["--count", "3"], now=utc(2026, 10, 30, 12), registry=REGISTRY, out=out)
    assert (code, out.getvalue()) == (0, NEW_YORK_PREVIEW)


def test_preview_command_runs_without_redis() -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}",
        "BATCH_TIMEZONE": "Asia/Seoul",
    }
    done = subprocess.run(
        [sys.executable, "-m", "worker", "preview", "--count", "2"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    digest = lines.index(
        "batch.worker.schedules.daily_digest.daily_digest  cron[hour=9, minute=0] in Asia/Seoul"
    )
    assert "T09:00:00+09:00  (" in lines[digest + 1]
    assert lines[digest + 1].endswith("T00:00:00Z)")
    bad = subprocess.run(
        [sys.executable, "-m", "worker", "preview", "--count", "51"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 2
    assert "--count must be 1-50" in bad.stderr


@pytest.mark.timeout(30)
def test_a_real_apscheduler_runs_the_translated_trigger_every_second() -> None:
    import asyncio

    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    fired: list[datetime] = []

    async def main() -> None:
        tz = zone("Asia/Seoul")
        scheduler = AsyncIOScheduler(timezone=tz)
        trigger = build_trigger(_spec("cron", second="*"), tz)
        scheduler.add_job(lambda: fired.append(datetime.now(UTC)), trigger=trigger)
        scheduler.start()
        await asyncio.sleep(3.2)
        scheduler.shutdown(wait=False)

    asyncio.run(main())
    assert 2 <= len(fired) <= 4
    assert len({moment.replace(microsecond=0) for moment in fired}) == len(fired)
