"""Refuse, at start, settings under which "at most once per tick" cannot hold.

A tick T is claimable while the Redis server's clock is within [T - skew, T + grace + skew]
(``worker.locks``); a claim made at the start of that window must still be in Redis at its
end, so the tick key's lifetime must exceed the window:

    BATCH_LOCK_TTL_SECONDS > 2 x BATCH_MAX_CLOCK_SKEW_SECONDS + misfire grace

for the default ``BATCH_MISFIRE_GRACE_SECONDS`` and for every job's own
``misfire_grace_seconds``. A shorter TTL lets the key expire while a replica may still claim
the tick, and that replica runs it a second time.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.exceptions import ConfigurationError
from shared.settings import Settings
from worker.registry import JobSpec

RULE = "BATCH_LOCK_TTL_SECONDS > 2 x BATCH_MAX_CLOCK_SKEW_SECONDS + misfire grace"


def check_guarantees(settings: Settings, specs: Iterable[JobSpec] = ()) -> None:
    """Raise ``ConfigurationError`` naming the rule when a setting or job breaks it."""
    ttl, skew = settings.batch_lock_ttl_seconds, settings.batch_max_clock_skew_seconds
    graces = [("BATCH_MISFIRE_GRACE_SECONDS", float(settings.batch_misfire_grace_seconds))]
    graces += [
        (f"misfire_grace_seconds of {spec.job_id}", float(spec.misfire_grace_seconds))
        for spec in specs
        if spec.misfire_grace_seconds
    ]
    for name, grace in graces:
        if ttl <= 2 * skew + grace:
            raise ConfigurationError(
                f"{RULE} is broken: {ttl:g} <= 2 x {skew:g} + {grace:g} ({name});"
                " the tick key would expire while a replica may still claim the tick"
                " and run it twice"
            )
