"""Turn a ``JobSpec``'s trigger into an APScheduler trigger in the worker's explicit zone.

Cron triggers (fields, ``crontab=`` lines and ``CronTrigger`` objects) come from
``shared.scheduling.cron``, the translation the local backend uses: crontab weekdays follow
cron(5) (0 and 7 = Sunday) and every cron tick follows EventBridge Scheduler's DST rules.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from shared.exceptions import ConfigurationError, ScheduleValidationError
from shared.scheduling.cron import crontab_trigger, fields_trigger, wall_clock_trigger
from worker.registry import JobSpec

#: Interval ticks are counted from here, so every replica (started at any moment) computes
#: the same fire times. APScheduler's own default, "now + interval", differs per replica,
#: and then the per-tick lock keys differ too and every replica runs the job.
INTERVAL_ANCHOR = datetime(2000, 1, 1, tzinfo=UTC)


def zone(name: str) -> tzinfo:
    """Return the IANA zone ``name`` (``BATCH_TIMEZONE``) or raise ``ConfigurationError``."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(f"BATCH_TIMEZONE {name!r} is not an IANA time zone") from exc


def build_trigger(spec: JobSpec, tz: tzinfo) -> BaseTrigger:
    """Build the trigger of ``spec``; aliases are read in ``tz``, objects are used as given."""
    if isinstance(spec.trigger, BaseTrigger):
        if getattr(spec.trigger, "jitter", None):
            raise ConfigurationError(
                f"batch job {spec.job_id}: jitter makes replicas disagree on the tick"
            )
        if isinstance(spec.trigger, CronTrigger):
            return wall_clock_trigger(spec.trigger)
        return spec.trigger
    args = dict(spec.trigger_args)
    if "jitter" in args or "timezone" in args:
        raise ConfigurationError(
            f"batch job {spec.job_id}: no jitter, and the zone comes from BATCH_TIMEZONE"
        )
    try:
        if spec.trigger == "cron":
            crontab = args.pop("crontab", None)
            if crontab is not None:
                if args:
                    raise ConfigurationError("crontab= cannot be combined with cron fields")
                return crontab_trigger(str(crontab), tz)
            return fields_trigger(tz, **args)
        if spec.trigger == "interval":
            args.setdefault("start_date", INTERVAL_ANCHOR)
            return IntervalTrigger(timezone=tz, **args)
        if spec.trigger == "date":
            return DateTrigger(timezone=tz, **args)
    except ScheduleValidationError as exc:
        raise ConfigurationError(f"batch job {spec.job_id}: {exc.message}") from exc
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"batch job {spec.job_id}: invalid trigger: {exc}") from exc
    raise ConfigurationError(
        f"batch job {spec.job_id}: unknown trigger {spec.trigger!r} (cron, interval, date)"
    )
