"""Claimed runs waiting for their target's share of the engine's concurrency.

Each target (``host:port``) has its own queue and its own limit of deliveries in flight, and
all targets together share ``total``; a run starts when both allow it. A target whose calls
hang fills only its own share; its queued runs never stand in front of another target's.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from local.backend.hosts import HostLimits, target_key
from local.backend.records import RunRow
from shared.delivery.event import ApiCallRequest
from shared.exceptions import InvalidRequestError


@dataclass
class Job:
    """A claimed run with its parsed call (or why its stored call cannot be parsed)."""

    run: RunRow
    key: str
    call: ApiCallRequest | None
    invalid: str = ""

    @classmethod
    def of(cls, run: RunRow) -> Job:
        """Parse the run's stored call once, when it is claimed."""
        try:
            call = ApiCallRequest.from_event(json.loads(run.input))
        except (InvalidRequestError, ValueError) as exc:
            return cls(run, ":0", None, f"invalid stored call: {exc}")
        return cls(run, target_key(call.target_url), call)


class Lanes:
    """Per-target queues and in-flight counts (used on the engine's loop only)."""

    def __init__(self, limits: HostLimits, total: int) -> None:
        self.limits = limits
        self.total = total
        self.in_flight = 0
        self.queued = 0
        self._queues: dict[str, deque[Job]] = {}
        self._active: dict[str, int] = {}

    @property
    def pending(self) -> int:
        """Runs claimed and not finished: queued plus in flight."""
        return self.queued + self.in_flight

    def add(self, job: Job) -> None:
        """Queue a claimed run behind the earlier ones of its target."""
        self._queues.setdefault(job.key, deque()).append(job)
        self.queued += 1

    def ready(self) -> Iterator[Job]:
        """Yield (and count as in flight) every queued run whose target and the total allow."""
        for key in list(self._queues):
            if self.in_flight >= self.total:
                return
            queue = self._queues[key]
            room = self.limits.limit_for(key) - self._active.get(key, 0)
            while queue and room > 0 and self.in_flight < self.total:
                room -= 1
                self.queued -= 1
                self.in_flight += 1
                self._active[key] = self._active.get(key, 0) + 1
                yield queue.popleft()
            if not queue:
                del self._queues[key]

    def done(self, key: str) -> None:
        """Count one delivery of ``key`` as finished."""
        self.in_flight -= 1
        left = self._active[key] - 1
        if left:
            self._active[key] = left
        else:
            del self._active[key]

    def in_flight_for(self, key: str) -> int:
        """Deliveries of target ``key`` in flight now."""
        return self._active.get(key, 0)
