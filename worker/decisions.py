"""One decision line per tick: what this replica did with it, and how late it was.

Every tick APScheduler hands to this replica ends in exactly one ``batch tick <decision>``
JSON line with ``job_id``, ``tick``, ``decision``, ``replica`` and ``late_seconds`` (how long
after the scheduled fire time, by this replica's clock, the decision was taken). Ticks that
never reach a claim are decided here too: the ones APScheduler hands over too late
(``skipped:misfire``), the ones folded into a later one (``coalesced``) and the ones refused
by the per-replica ``max_instances`` cap (``skipped:max_instances``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from worker.locks import tick_stamp

log = logging.getLogger("worker.runner")


class Decision(StrEnum):
    """What this replica did with one tick; logged as ``decision``."""

    RAN = "ran"
    OTHER_REPLICA = "skipped:other_replica"
    STILL_RUNNING = "skipped:still_running"
    REDIS_DOWN = "skipped:redis_down"
    REDIS_RESTARTED = "skipped:redis_restarted"
    CLOCK_SKEW = "skipped:clock_skew"
    MISFIRE = "skipped:misfire"
    POOL_FULL = "skipped:pool_full"
    MAX_INSTANCES = "skipped:max_instances"
    COALESCED = "coalesced"


_WARN = {
    Decision.REDIS_DOWN,
    Decision.REDIS_RESTARTED,
    Decision.CLOCK_SKEW,
    Decision.MISFIRE,
    Decision.POOL_FULL,
    Decision.MAX_INSTANCES,
}


def late_seconds(fire_time: datetime, now: datetime | None = None) -> float:
    """Seconds from the scheduled fire time to ``now`` (this replica's clock)."""
    return round(((now or datetime.now(UTC)) - fire_time).total_seconds(), 3)


def log_decision(
    job_id: str, fire_time: datetime, decision: Decision, replica: str, **extra: Any
) -> None:
    """Write the decision line of one tick."""
    fields = {
        "job_id": job_id,
        "tick": tick_stamp(fire_time),
        "decision": str(decision),
        "replica": replica,
        "late_seconds": late_seconds(fire_time),
    }
    level = logging.WARNING if decision in _WARN else logging.INFO
    log.log(level, "batch tick %s", decision, extra={**fields, **extra})


def triage(
    job_id: str, run_times: list[datetime], *, grace: float, coalesce: bool, replica: str
) -> list[datetime]:
    """Decide the ticks that will not be run; return the ones to run (oldest first).

    A tick later than ``grace`` is ``skipped:misfire``; with ``coalesce`` every remaining
    tick but the newest is ``coalesced`` into it.
    """
    now = datetime.now(UTC)
    keep: list[datetime] = []
    for run_time in run_times:
        if (now - run_time).total_seconds() > grace:
            log_decision(job_id, run_time, Decision.MISFIRE, replica, judged_by="replica")
        else:
            keep.append(run_time)
    if coalesce and len(keep) > 1:
        into = tick_stamp(keep[-1])
        for run_time in keep[:-1]:
            log_decision(job_id, run_time, Decision.COALESCED, replica, into=into)
        keep = keep[-1:]
    return keep
