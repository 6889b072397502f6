"""batch_lifespan: runs jobs inside another process's loop when enabled, never on Lambda."""

from __future__ import annotations

import asyncio

import pytest

from shared.settings import Settings
from tests.worker import embedded_jobs
from worker.embedded import batch_lifespan


def _enabled(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"batch_enabled": True, "batch_schedules_packages": ("tests.worker.embedded_jobs",)}
    )


def test_enabled_lifespan_runs_jobs_and_stops_cleanly(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    embedded_jobs.RAN.clear()

    async def app() -> bool:
        async with batch_lifespan(_enabled(settings), registry=embedded_jobs.REGISTRY) as worker:
            assert worker is not None
            await asyncio.sleep(2.6)
            scheduler = worker.scheduler
        return scheduler is not None and not scheduler.running

    assert asyncio.run(app())
    assert len(embedded_jobs.RAN) >= 2
    assert len(set(embedded_jobs.RAN)) == len(embedded_jobs.RAN)


@pytest.mark.parametrize("on_lambda", [False, True])
def test_disabled_or_on_lambda_is_a_no_op(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, on_lambda: bool
) -> None:
    embedded_jobs.RAN.clear()
    if on_lambda:
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "ApiFunction")
        config = _enabled(settings)  # enabled, but Lambda wins
    else:
        monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
        config = settings.model_copy(update={"redis_url": None})  # not even configured

    async def app() -> object:
        async with batch_lifespan(config, registry=embedded_jobs.REGISTRY) as worker:
            await asyncio.sleep(1.3)
            return worker

    assert asyncio.run(app()) is None
    assert embedded_jobs.RAN == []


def test_memory_lock_lets_only_one_server_process_host_the_scheduler(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # uvicorn --workers N: each process enters the lifespan; with the in-process tick lock
    # only the first may host the scheduler, or every tick would run once per process.
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    memory = _enabled(settings).model_copy(
        update={"batch_lock_backend": "memory", "redis_url": None}
    )

    async def app() -> tuple[bool, bool, bool]:
        async with (
            batch_lifespan(memory, registry=embedded_jobs.REGISTRY) as first,
            batch_lifespan(memory, registry=embedded_jobs.REGISTRY) as second,
        ):
            pair = (first is not None, second is None)
        async with batch_lifespan(memory, registry=embedded_jobs.REGISTRY) as after:
            return (*pair, after is not None)  # released when the host stopped

    assert asyncio.run(app()) == (True, True, True)
