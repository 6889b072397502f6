"""Concurrency and retry rules of the local engine."""

from __future__ import annotations

from dataclasses import dataclass, field

from local.backend.hosts import HostLimits


@dataclass(frozen=True)
class EngineConfig:
    """Concurrency and retry rules of the engine (from ``Settings``).

    ``workers`` is the number of deliveries in flight at most, all targets together;
    ``host_limits`` caps each target's share of them.
    """

    workers: int = 256
    retry_max_attempts: int = 2
    max_event_age_seconds: float = 3600.0
    retry_base_seconds: float = 1.0
    retry_max_backoff_seconds: float = 60.0
    poll_seconds: float = 1.0
    host_limits: HostLimits = field(default_factory=HostLimits)
    stop_grace_seconds: float = 2.0  # SIGTERM: in-flight calls get this long, then are cut

    def backoff(self, attempts_made: int, retry_after: float | None) -> float:
        """Seconds to wait before the next attempt: doubling, capped, at least Retry-After."""
        delay = min(
            self.retry_max_backoff_seconds,
            self.retry_base_seconds * float(2 ** max(attempts_made - 1, 0)),
        )
        return max(delay, retry_after or 0.0)
