"""Concurrency and retry rules of the local engine.

Built from ``Settings`` by ``local.backend.wiring.engine_config``; the defaults are the
declared ones (``shared.environment.VARIABLES``), never numbers of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from local.backend.hosts import HostLimits
from shared.environment import VARIABLES


@dataclass(frozen=True)
class EngineConfig:
    """Concurrency and retry rules of the engine (from ``Settings``).

    ``workers`` is the number of deliveries in flight at most, all targets together;
    ``host_limits`` caps each target's share of them.
    """

    workers: int = VARIABLES["local_workers"].default
    retry_max_attempts: int = VARIABLES["retry_max_attempts"].default
    max_event_age_seconds: float = float(VARIABLES["max_event_age_seconds"].default)
    retry_base_seconds: float = VARIABLES["local_retry_base_seconds"].default
    retry_max_backoff_seconds: float = VARIABLES["local_retry_max_backoff_seconds"].default
    poll_seconds: float = VARIABLES["local_poll_seconds"].default
    host_limits: HostLimits = field(default_factory=HostLimits)
    ledger_retention_days: int = VARIABLES["ledger_retention_days"].default
    stop_grace_seconds: float = 2.0  # SIGTERM: in-flight calls get this long, then are cut

    def backoff(self, attempts_made: int, retry_after: float | None) -> float:
        """Seconds to wait before the next attempt: doubling, capped, at least Retry-After."""
        delay = min(
            self.retry_max_backoff_seconds,
            self.retry_base_seconds * float(2 ** max(attempts_made - 1, 0)),
        )
        return max(delay, retry_after or 0.0)
