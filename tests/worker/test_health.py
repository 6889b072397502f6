"""Heartbeat file and the fire-time context outside a run."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from worker import health
from worker.executor import current_fire_time


def test_heartbeat_is_healthy_while_fresh_and_unhealthy_when_stale_or_missing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "alive"
    assert health.check(path, 30)[0] is False
    health.beat(path)
    assert health.check(path, 30)[0] is True
    ok, reason = health.check(path, 30, now=time.time() + 31)
    assert ok is False
    assert "old" in reason
    health.clear(path)
    assert not path.exists()


def test_fire_time_is_only_available_inside_a_run() -> None:
    with pytest.raises(RuntimeError, match="TickExecutor"):
        current_fire_time()
