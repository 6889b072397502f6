"""Ticks that never reach a claim still get their one decision line (misfire, coalesced)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from worker.decisions import triage
from worker.locks import tick_stamp


def _lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, float]]:
    return [
        (r.__dict__["tick"], r.__dict__["decision"], r.__dict__["late_seconds"])
        for r in caplog.records
        if "decision" in r.__dict__
    ]


def test_late_ticks_are_misfires_and_the_rest_coalesce_into_the_newest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    ticks = [now - timedelta(seconds=s) for s in (40, 31, 20, 5, 0)]
    with caplog.at_level(logging.INFO, logger="worker.runner"):
        kept = triage("j", ticks, grace=30, coalesce=True, replica="r1")
    assert kept == [now]
    lines = _lines(caplog)
    assert [(t, d) for t, d, _ in lines] == [
        (tick_stamp(ticks[0]), "skipped:misfire"),
        (tick_stamp(ticks[1]), "skipped:misfire"),
        (tick_stamp(ticks[2]), "coalesced"),
        (tick_stamp(ticks[3]), "coalesced"),
    ]
    assert 40 <= lines[0][2] < 42  # how late, in seconds
    assert all(r.__dict__["replica"] == "r1" for r in caplog.records)


def test_without_coalesce_every_tick_within_the_grace_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = datetime.now(UTC)
    ticks = [now - timedelta(seconds=s) for s in (3, 2, 1)]
    with caplog.at_level(logging.INFO, logger="worker.runner"):
        assert triage("j", ticks, grace=30, coalesce=False, replica="r1") == ticks
    assert _lines(caplog) == []
