"""The batch worker: APScheduler jobs that run exactly once per tick across replicas.

Declare jobs with ``@batch_schedule`` in a module under ``BATCH_SCHEDULES_PACKAGES``
(default ``worker.schedules``); run them with ``python -m worker``.
"""

from worker.context import JobContext
from worker.registry import DEFAULT_REGISTRY, JobSpec, Registry, batch_schedule

__all__ = ["DEFAULT_REGISTRY", "JobContext", "JobSpec", "Registry", "batch_schedule"]
