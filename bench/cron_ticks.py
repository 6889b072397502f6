"""What the DST-correct translation costs per tick, against APScheduler's bare CronTrigger.

    .venv/bin/python -m bench.cron_ticks [--ticks 5000] [--rounds 5]

Both walk the same expression (every 5 minutes, America/New_York, across the 2026-11-01
fall-back) tick by tick, interleaved round by round so machine noise hits them alike. Also
times one ``latest_fire_at_or_before`` (the engine's "most recent tick" question) and one
50-tick preview. Prints ``name value`` lines and ``ratio`` (translation / bare per tick).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from shared.scheduling.cron import build_trigger, latest_fire_at_or_before, next_fire, preview

START = datetime(2026, 10, 31, 12, tzinfo=UTC)
ZONE = "America/New_York"


def per_tick(step: Callable[[datetime], datetime | None], ticks: int) -> float:
    moment: datetime | None = START
    began = time.perf_counter()
    for _ in range(ticks):
        assert moment is not None
        moment = step(moment)
    return (time.perf_counter() - began) / ticks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ticks", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    translated = build_trigger("cron(0/5 * * * ? *)", ZONE, START)
    bare = CronTrigger(minute="*/5", second="0", timezone=ZoneInfo(ZONE))
    ours, theirs, latest, previews = [], [], [], []
    for _ in range(args.rounds):
        ours.append(per_tick(lambda t: next_fire(translated, t), args.ticks))
        theirs.append(per_tick(lambda t: bare.get_next_fire_time(t, t), args.ticks))
        began = time.perf_counter()
        latest_fire_at_or_before(translated, datetime(2026, 11, 1, 6, 30, tzinfo=UTC))
        latest.append(time.perf_counter() - began)
        began = time.perf_counter()
        preview("cron(30 1 * * ? *)", ZONE, after=START, count=50)
        previews.append(time.perf_counter() - began)
    ours_us, theirs_us = statistics.median(ours) * 1e6, statistics.median(theirs) * 1e6
    print(f"translation_per_tick_us {ours_us:.1f}")
    print(f"apscheduler_cron_per_tick_us {theirs_us:.1f}")
    print(f"latest_at_or_before_ms {statistics.median(latest) * 1e3:.2f}")
    print(f"preview_50_daily_ticks_ms {statistics.median(previews) * 1e3:.2f}")
    print(f"ratio {ours_us / theirs_us:.2f}")


if __name__ == "__main__":
    main()
