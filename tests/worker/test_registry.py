"""@batch_schedule records specs; triggers are built in the explicit zone on a shared grid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from shared.exceptions import ConfigurationError
from shared.scheduling.cron import WallClockCronTrigger
from worker import JobContext, JobSpec, Registry, batch_schedule
from worker.triggers import build_trigger, zone

MODULE_REGISTRY = Registry()


@batch_schedule("cron", minute=30, registry=MODULE_REGISTRY)
async def send_report() -> None:
    return None


def test_id_defaults_to_module_and_function_and_name_to_the_id() -> None:
    (spec,) = MODULE_REGISTRY.jobs()
    assert spec.job_id == f"batch.{__name__}.send_report"
    assert spec.job_id == "batch.tests.worker.test_registry.send_report"
    assert spec.name == spec.job_id  # the note set the name to None when no id was given
    assert spec.is_async
    assert not spec.wants_context


def test_explicit_id_and_name_and_the_function_is_returned_unchanged() -> None:
    registry = Registry()

    def plain() -> str:
        return "ran"

    decorated = batch_schedule("interval", seconds=5, job_id="j", name="N", registry=registry)(
        plain
    )
    assert decorated is plain
    (spec,) = registry.jobs()
    assert (spec.job_id, spec.name, spec.is_async, spec.wants_context) == ("j", "N", False, False)


def test_context_parameter_is_detected_and_two_parameters_are_refused() -> None:
    registry = Registry()

    @batch_schedule("interval", seconds=5, job_id="ctx", registry=registry)
    async def with_context(ctx: JobContext) -> None:
        return None

    assert registry.jobs()[0].wants_context
    with pytest.raises(ConfigurationError, match="0 or 1 parameter"):
        batch_schedule("interval", seconds=5, registry=registry)(lambda a, b: None)


def test_the_same_id_for_two_functions_is_an_error() -> None:
    registry = Registry()
    batch_schedule("interval", seconds=5, job_id="dup", registry=registry)(lambda: None)
    with pytest.raises(ConfigurationError, match="declared twice"):

        @batch_schedule("interval", seconds=5, job_id="dup", registry=registry)
        def other() -> None:
            return None


def test_jobs_are_filtered_by_package() -> None:
    registry = Registry()
    batch_schedule("interval", seconds=5, job_id="here", registry=registry)(lambda: None)
    assert [s.job_id for s in registry.jobs(["tests.worker"])] == ["here"]
    assert registry.jobs(["tests.work"]) == []  # a prefix of a name is not a parent package
    assert registry.jobs(["worker.schedules"]) == []


def _spec(trigger: str, **args: Any) -> JobSpec:
    registry = Registry()
    batch_schedule(trigger, job_id="t", registry=registry, **args)(lambda: None)
    return registry.jobs()[0]


def test_cron_is_read_in_the_configured_zone_not_the_containers() -> None:
    seoul = zone("Asia/Seoul")
    trigger = build_trigger(_spec("cron", hour=9, minute=0), seoul)
    assert isinstance(trigger, WallClockCronTrigger)
    start = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)  # 09:00 in Seoul
    fire = trigger.get_next_fire_time(None, start + timedelta(seconds=1))
    assert fire is not None
    assert fire.astimezone(UTC) == datetime(2026, 1, 2, 0, 0, tzinfo=UTC)
    crontab = build_trigger(_spec("cron", crontab="0 9 * * *"), seoul)
    assert crontab.get_next_fire_time(None, start + timedelta(seconds=1)) == fire


def test_interval_ticks_are_the_same_for_replicas_started_at_different_moments() -> None:
    tz = ZoneInfo("UTC")
    spec = _spec("interval", seconds=7)
    first = build_trigger(spec, tz)
    later = build_trigger(spec, tz)
    now = datetime(2026, 5, 5, 12, 0, 0, 123456, tzinfo=UTC)
    a = first.get_next_fire_time(None, now)
    b = later.get_next_fire_time(None, now + timedelta(seconds=2.5))
    assert a == b
    assert isinstance(first, IntervalTrigger)


def test_jitter_and_unknown_triggers_and_bad_zones_are_refused() -> None:
    tz = ZoneInfo("UTC")
    with pytest.raises(ConfigurationError, match="jitter"):
        build_trigger(_spec("interval", seconds=5, jitter=2), tz)
    with pytest.raises(ConfigurationError, match="unknown trigger"):
        build_trigger(_spec("calendar", weeks=1), tz)
    with pytest.raises(ConfigurationError, match="invalid trigger"):
        build_trigger(_spec("cron", hour=25), tz)
    with pytest.raises(ConfigurationError, match="BATCH_TIMEZONE"):
        zone("Mars/Olympus")
    jittery = CronTrigger(second="*", jitter=3, timezone=tz)
    registry = Registry()
    batch_schedule(jittery, job_id="j", registry=registry)(lambda: None)
    with pytest.raises(ConfigurationError, match="jitter"):
        build_trigger(registry.jobs()[0], tz)
