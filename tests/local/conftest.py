"""Fixtures of the local backend tests: a real receiver and engines on a temp state folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from local.backend import LocalScheduler
from local.backend.config import EngineConfig
from local.backend.delivery import AsyncDelivery
from shared.delivery.config import DeliveryConfig
from tests.local.receiver import Receiver

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # test-only key, base64 of 24 bytes
FAST = EngineConfig(
    workers=4, retry_max_attempts=2, retry_base_seconds=0.1, retry_max_backoff_seconds=1.0
)

MakeScheduler = Callable[..., LocalScheduler]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def make_scheduler(tmp_path: Path) -> Iterator[MakeScheduler]:
    """Build (and start) schedulers on ``tmp_path``; all are shut down at the end."""
    made: list[LocalScheduler] = []

    def make(config: EngineConfig = FAST, *, start: bool = True) -> LocalScheduler:
        delivery = DeliveryConfig(allowed_target_hosts=("127.0.0.1",), signing_secrets=(SECRET,))
        scheduler = LocalScheduler(tmp_path / "state", AsyncDelivery(delivery), config)
        made.append(scheduler)
        if start:
            scheduler.start()
        return scheduler

    yield make
    for scheduler in made:
        scheduler.shutdown()  # idempotent: some tests shut down themselves
