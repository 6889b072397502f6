"""The batch worker: APScheduler jobs that run exactly once per tick across replicas.

Declare jobs with ``@batch_schedule`` in a module under ``BATCH_SCHEDULES_PACKAGES``
(default ``worker.schedules``); run them with ``python -m worker``. The names below are
loaded on first use, so ``python -m worker healthcheck`` (run by ECS every 30 s) does not
import APScheduler, redis-py or aiohttp.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from worker.context import JobContext
    from worker.registry import DEFAULT_REGISTRY, JobSpec, Registry, batch_schedule

_EXPORTS = {
    "DEFAULT_REGISTRY": "worker.registry",
    "JobContext": "worker.context",
    "JobSpec": "worker.registry",
    "Registry": "worker.registry",
    "batch_schedule": "worker.registry",
}
__all__ = ["DEFAULT_REGISTRY", "JobContext", "JobSpec", "Registry", "batch_schedule"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'worker' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
