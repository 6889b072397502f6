"""Missed ticks of a recurring task are coalesced: only the most recent one fires.

After the process was down (or fell more than one period behind), EventBridge Scheduler
semantics apply: a tick is never run twice to catch up. When a recurring task is materialised,
every tick up to now is skipped except the latest, which fires once; if that tick is older than
``MAX_EVENT_AGE_SECONDS`` its run is dead-lettered as ``expired``, like a one-time task's.
"""

from __future__ import annotations

from collections.abc import Callable

from local.backend.records import TaskRow

# Given a recurring task and a tick, return the following tick (or None: the task ends).
Advance = Callable[[TaskRow, float], float | None]

MAX_SKIPPED = 100_000  # a guard against an advance function that does not move forward


def latest_due_tick(
    task: TaskRow, tick: float, now: float, advance: Advance
) -> tuple[float, float | None, int]:
    """Return the tick to fire, the tick after it, and how many earlier ticks were skipped.

    Parameters
    ----------
    task
        The recurring task.
    tick
        Its stored next tick (due: ``tick <= now``).
    now
        The current time.
    advance
        The next-fire function: given the task and a tick, the following tick or None.

    Returns
    -------
    tuple
        ``(tick, following, skipped)``: ``tick`` is the latest tick at or before ``now``.
    """
    following = advance(task, tick)
    skipped = 0
    while following is not None and following <= now and skipped < MAX_SKIPPED:
        if following <= tick:
            break
        tick, following = following, advance(task, following)
        skipped += 1
    return tick, following, skipped
