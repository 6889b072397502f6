"""``@batch_schedule``: declare a job; a worker's scheduler loads the declarations later.

The decorator only records a ``JobSpec`` in a ``Registry`` (the module-wide
``DEFAULT_REGISTRY`` unless one is passed). It never touches a scheduler, so importing a job
module has no side effect beyond the record, the function is returned unchanged (callable
and testable directly), and several independent schedulers can load the same registry.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from apscheduler.triggers.base import BaseTrigger

from shared.exceptions import ConfigurationError, ScheduleValidationError
from shared.scheduling.cron_fields import crontab_rule

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_MAX_INSTANCES = 3


@dataclass(frozen=True)
class JobSpec:
    """One declared job: what to call, when, and how it is guarded."""

    job_id: str
    name: str
    func: Callable[..., Any]
    trigger: BaseTrigger | str
    trigger_args: Mapping[str, Any] = field(default_factory=dict)
    no_overlap: bool = False
    time_budget_seconds: float | None = None
    misfire_grace_seconds: int | None = None
    coalesce: bool = True
    max_instances: int = DEFAULT_MAX_INSTANCES

    @property
    def module(self) -> str:
        """The module the job function was defined in."""
        return str(self.func.__module__)

    @property
    def is_async(self) -> bool:
        """True for ``async def`` jobs (run on the loop); plain ones run in a thread."""
        return inspect.iscoroutinefunction(self.func)

    @property
    def wants_context(self) -> bool:
        """True when the function takes one parameter: it receives a ``JobContext``."""
        return len(inspect.signature(self.func).parameters) == 1


def default_job_id(func: Callable[..., Any]) -> str:
    """``batch.{module}.{function}``: stable across replicas and restarts."""
    return f"batch.{func.__module__}.{func.__qualname__}"


def _in_packages(module: str, packages: Sequence[str]) -> bool:
    return any(module == pkg or module.startswith(pkg + ".") for pkg in packages)


class Registry:
    """Job declarations keyed by job id."""

    def __init__(self) -> None:
        self._jobs: dict[str, JobSpec] = {}

    def add(self, spec: JobSpec) -> None:
        """Record ``spec``; a second, different function under the same id is an error."""
        known = self._jobs.get(spec.job_id)
        if known is not None and (known.module, known.func.__qualname__) != (
            spec.module,
            spec.func.__qualname__,
        ):
            raise ConfigurationError(
                f"batch job id {spec.job_id!r} is declared twice "
                f"({known.module}.{known.func.__qualname__} and "
                f"{spec.module}.{spec.func.__qualname__})"
            )
        self._jobs[spec.job_id] = spec

    def jobs(self, packages: Sequence[str] | None = None) -> list[JobSpec]:
        """Return the declared jobs, only those defined under ``packages`` when given."""
        specs = list(self._jobs.values())
        if packages is None:
            return specs
        return [spec for spec in specs if _in_packages(spec.module, packages)]


DEFAULT_REGISTRY = Registry()


def batch_schedule(
    trigger: BaseTrigger | str,
    *,
    job_id: str | None = None,
    name: str | None = None,
    no_overlap: bool = False,
    time_budget_seconds: float | None = None,
    misfire_grace_seconds: int | None = None,
    coalesce: bool = True,
    max_instances: int = DEFAULT_MAX_INSTANCES,
    registry: Registry | None = None,
    **trigger_args: Any,
) -> Callable[[F], F]:
    """Declare a batch job that the fleet runs exactly once per tick.

    ``trigger`` is an APScheduler 3 trigger alias (``"cron"``, ``"interval"``, ``"date"``)
    with its fields as keyword arguments, read in ``BATCH_TIMEZONE`` (``"cron"`` also takes
    a cron(5) line, ``crontab="0 9 * * 1-5"``: Monday-Friday 09:00, checked here; cron
    weekdays given as fields must be names); cron ticks follow EventBridge Scheduler's DST
    rules (``shared.scheduling.cron``); interval triggers without ``start_date`` are anchored at
    2000-01-01T00:00Z so every replica computes the same ticks. A trigger object is used as
    is: give it an explicit time zone (and a ``start_date`` for intervals); jitter is
    refused because replicas would disagree on the tick.

    The function may be ``async def`` (awaited on the loop) or plain (run in a thread), and
    takes no argument or one ``JobContext``. The id defaults to ``batch.{module}.{function}``
    and the name to the id. ``no_overlap=True`` skips a tick while an earlier run of the job
    is still going on any replica. ``time_budget_seconds`` (default
    ``BATCH_TIME_BUDGET_SECONDS``) is when a run is reported as slow.
    ``misfire_grace_seconds`` (default ``BATCH_MISFIRE_GRACE_SECONDS``): a tick that starts
    later than this (the replica was busy or down) is skipped rather than run late.
    ``coalesce=True``: ticks missed during downtime run once, not once each.
    ``max_instances`` caps concurrent runs of the job in one replica; it is above 1 so a
    local cap never silently drops a tick (preventing overlap is ``no_overlap``'s job).
    """
    if isinstance(trigger, BaseTrigger) and trigger_args:
        raise ConfigurationError("trigger arguments are only allowed with a trigger alias")
    if max_instances < 1:
        raise ConfigurationError("max_instances must be at least 1")
    if trigger == "cron" and "crontab" in trigger_args:
        try:
            crontab_rule(str(trigger_args["crontab"]))
        except ScheduleValidationError as exc:
            raise ConfigurationError(exc.message) from exc

    def decorator(func: F) -> F:
        resolved_id = job_id or default_job_id(func)
        spec = JobSpec(
            job_id=resolved_id,
            name=name or resolved_id,
            func=func,
            trigger=trigger,
            trigger_args=dict(trigger_args),
            no_overlap=no_overlap,
            time_budget_seconds=time_budget_seconds,
            misfire_grace_seconds=misfire_grace_seconds,
            coalesce=coalesce,
            max_instances=max_instances,
        )
        if len(inspect.signature(func).parameters) > 1:
            raise ConfigurationError(f"batch job {resolved_id} must take 0 or 1 parameter")
        (registry or DEFAULT_REGISTRY).add(spec)
        return func

    return decorator
