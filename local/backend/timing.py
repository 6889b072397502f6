"""Next-tick computation for recurring tasks, with one APScheduler trigger cached per task."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from apscheduler.triggers.base import BaseTrigger

from local.backend.records import TaskRow
from shared.scheduling.cron import build_trigger, first_fire, from_epoch, next_fire
from shared.scheduling.validation import parse_schedule_expression

logger = logging.getLogger("local")
TRIGGER_CACHE_SIZE = 4096  # recurring tasks whose trigger is kept built (least recently used go)


class TriggerCache:
    """Compute ticks of recurring tasks; ticks older than the maximum event age are skipped.

    Parameters
    ----------
    max_event_age_seconds:
        A tick this much older than now is not fired (after a long downtime the task resumes
        with the first tick within this age; the skipped ticks are logged).
    clock:
        Returns the current epoch time.
    """

    def __init__(
        self,
        max_event_age_seconds: float,
        clock: Callable[[], float],
        size: int = TRIGGER_CACHE_SIZE,
    ) -> None:
        self.max_event_age_seconds = max_event_age_seconds
        self._clock = clock
        self._size = size
        self._lock = threading.Lock()
        self._triggers: OrderedDict[str, tuple[str, BaseTrigger]] = OrderedDict()

    def first_tick(self, expression: str, timezone: str, now: datetime) -> tuple[str, float | None]:
        """Validate; return the normalised expression and the first tick at or after ``now``."""
        normalised = parse_schedule_expression(expression).expression
        trigger = build_trigger(normalised, timezone, now)
        first = first_fire(trigger, now)
        return normalised, first.timestamp() if first is not None else None

    def advance(self, task: TaskRow, tick: float) -> float | None:
        """Return the tick after ``tick`` (skipping ticks past the event age), or None.

        A stored expression that no longer builds a trigger ends the task (logged) instead of
        failing the dispatcher's transaction again and again.
        """
        try:
            trigger = self._trigger(task)
        except Exception:
            logger.exception("task %s: cannot compute its next tick; it ends", task.task_id)
            return None
        following = next_fire(trigger, from_epoch(tick))
        cutoff = self._clock() - self.max_event_age_seconds
        if following is not None and following.timestamp() < cutoff:
            resumed = first_fire(trigger, from_epoch(cutoff))
            logger.warning(
                "task %s: ticks from %s were missed beyond the maximum event age; resuming at %s",
                task.task_id,
                following.isoformat(),
                resumed.isoformat() if resumed else "never",
            )
            following = resumed
        return following.timestamp() if following is not None else None

    def forget(self, task_id: str) -> None:
        """Drop the cached trigger of a cancelled task."""
        with self._lock:
            self._triggers.pop(task_id, None)

    def _trigger(self, task: TaskRow) -> BaseTrigger:
        key = f"{task.expression}\n{task.timezone}"
        with self._lock:
            cached = self._triggers.get(task.task_id)
            if cached is not None and cached[0] == key:
                self._triggers.move_to_end(task.task_id)
                return cached[1]
        trigger = build_trigger(task.expression, task.timezone, from_epoch(task.created_at))
        with self._lock:
            self._triggers[task.task_id] = (key, trigger)
            self._triggers.move_to_end(task.task_id)
            while len(self._triggers) > self._size:
                self._triggers.popitem(last=False)
        return trigger

    def __len__(self) -> int:
        """Triggers kept built now (at most ``size``)."""
        return len(self._triggers)
