"""``python -m worker preview [--count N]``: every registered job and its next ticks.

Reads only ``BATCH_TIMEZONE`` and ``BATCH_SCHEDULES_PACKAGES`` (no Redis, no Slack): it
imports the schedules packages, builds each job's trigger exactly as the worker does, and
prints the next ``N`` ticks (default 5, at most 50) in ``BATCH_TIMEZONE`` with their UTC
instant, so an operator sees what runs when before deploying. Exit 0, or 2 for a
configuration error (bad zone, a module that does not import, a bad trigger).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import TextIO

from shared.exceptions import ConfigurationError
from shared.scheduling.cron import MAX_PREVIEW_COUNT, first_fire, next_fire
from shared.settings import load_settings
from worker.discovery import discover
from worker.registry import DEFAULT_REGISTRY, Registry
from worker.triggers import build_trigger, zone

DEFAULT_COUNT = 5


def job_ticks(
    registry: Registry,
    packages: Sequence[str],
    tz: tzinfo,
    *,
    now: datetime,
    count: int,
) -> list[tuple[str, str, list[datetime]]]:
    """Return ``(job id, trigger description, next ticks)`` for every job in ``packages``."""
    discover(packages)
    rows: list[tuple[str, str, list[datetime]]] = []
    for spec in registry.jobs(packages):
        trigger = build_trigger(spec, tz)
        ticks: list[datetime] = []
        tick = first_fire(trigger, now)
        while tick is not None and len(ticks) < count:
            ticks.append(tick.astimezone(tz))
            tick = next_fire(trigger, tick)
        rows.append((spec.job_id, str(trigger), ticks))
    return rows


def render(rows: list[tuple[str, str, list[datetime]]], zone_name: str, out: TextIO) -> None:
    """Print one block per job: its id and trigger, then one line per tick."""
    print(f"BATCH_TIMEZONE={zone_name}", file=out)
    for job_id, trigger, ticks in rows:
        print(f"{job_id}  {trigger}", file=out)
        for tick in ticks:
            utc = tick.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            print(f"  {tick.strftime('%a')} {tick.isoformat()}  ({utc})", file=out)
        if not ticks:
            print("  (no further ticks)", file=out)


def preview_main(
    argv: Sequence[str] | None = None,
    *,
    now: datetime | None = None,
    registry: Registry | None = None,
    out: TextIO | None = None,
) -> int:
    """Entry point of ``python -m worker preview [--count N]``."""
    parser = argparse.ArgumentParser(prog="python -m worker preview")
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="ticks per job")
    args = parser.parse_args(list(sys.argv[2:] if argv is None else argv))
    stream = out or sys.stdout
    if not 1 <= args.count <= MAX_PREVIEW_COUNT:
        print(f"--count must be 1-{MAX_PREVIEW_COUNT}, got {args.count}", file=sys.stderr)
        return 2
    try:
        settings = load_settings()
        tz = zone(settings.batch_timezone)
        rows = job_ticks(
            registry or DEFAULT_REGISTRY,
            settings.batch_schedules_packages,
            tz,
            now=now or datetime.now(UTC),
            count=args.count,
        )
    except ConfigurationError as exc:
        print(f"batch worker preview: {exc.message}", file=sys.stderr)
        return 2
    render(rows, settings.batch_timezone, stream)
    return 0
