"""Two jobs whose ticks the preview tests write out by hand."""

from worker.registry import Registry, batch_schedule

REGISTRY = Registry()


@batch_schedule("cron", crontab="0 9 * * 1-5", job_id="weekday-report", registry=REGISTRY)
def weekday_report() -> None:
    return None


@batch_schedule("cron", hour=1, minute=30, job_id="night-sweep", registry=REGISTRY)
def night_sweep() -> None:
    return None
