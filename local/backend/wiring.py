"""Build a ``LocalScheduler`` from ``Settings``: the delivery core, one pool, the retry rules."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import urllib3

from local.backend.config import EngineConfig
from shared.delivery.config import DeliveryConfig
from shared.delivery.core import DeliveryResult, deliver
from shared.delivery.event import ApiCallRequest

if TYPE_CHECKING:
    from local.backend.scheduler import LocalScheduler
    from shared.settings import Settings

T = TypeVar("T", bound="LocalScheduler")


def delivery_config(settings: Settings) -> DeliveryConfig:
    """Return the delivery core's config with the values of ``settings``."""
    return DeliveryConfig.from_settings(settings)


def engine_config(settings: Settings) -> EngineConfig:
    """Return the engine's concurrency and retry rules from ``settings``."""
    return EngineConfig(
        workers=settings.local_workers,
        retry_max_attempts=settings.retry_max_attempts,
        max_event_age_seconds=float(settings.max_event_age_seconds),
        retry_base_seconds=settings.local_retry_base_seconds,
        retry_max_backoff_seconds=settings.local_retry_max_backoff_seconds,
        poll_seconds=settings.local_poll_seconds,
    )


def pooled_deliver(config: DeliveryConfig, workers: int) -> Any:
    """Return ``call -> DeliveryResult`` through the delivery core with a pool of ``workers``."""
    pool = urllib3.PoolManager(num_pools=16, maxsize=workers, block=True, retries=False)

    def send(call: ApiCallRequest) -> DeliveryResult:
        return deliver(call, config=config, http=pool)

    return send


def build_from_settings(cls: type[T], settings: Settings) -> T:
    """Return ``cls`` built from ``settings`` (not started)."""
    config = engine_config(settings)
    send = pooled_deliver(delivery_config(settings), config.workers)
    return cls(
        Path(settings.local_state_dir),
        send,
        config,
        group=settings.schedule_group_name,
    )
