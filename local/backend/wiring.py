"""Build a ``LocalScheduler`` from ``Settings``: the delivery core, the limits, the retry rules."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from local.backend.config import EngineConfig
from local.backend.delivery import AsyncDelivery
from local.backend.hosts import HostLimits
from shared.delivery.config import DeliveryConfig

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
        host_limits=HostLimits.parse(settings.local_host_concurrency),
        ledger_retention_days=settings.ledger_retention_days,
    )


def build_from_settings(cls: type[T], settings: Settings) -> T:
    """Return ``cls`` built from ``settings`` (not started)."""
    config = engine_config(settings)
    return cls(
        Path(settings.local_state_dir),
        AsyncDelivery(delivery_config(settings)),
        config,
        group=settings.schedule_group_name,
    )
