"""The plain-job pool: a slot per run, reserved before the claim, freed when the thread ends."""

from __future__ import annotations

import threading
import time

from worker.sync_pool import SyncPool


def test_slots_are_bounded_and_come_back_when_threads_end_or_go_unused() -> None:
    pool = SyncPool(2)
    release = threading.Event()
    first, second = pool.reserve(), pool.reserve()
    assert first is not None
    assert second is not None
    assert pool.reserve() is None  # full: the tick is skipped before it is claimed
    running = first.submit(release.wait, 10)
    first.free()  # already used by its thread: nothing to give back
    assert pool.busy == 2
    second.free()  # reserved, never used (the tick went to another replica)
    second.free()  # only once
    assert pool.busy == 1
    release.set()
    running.result(timeout=5)
    deadline = time.monotonic() + 5  # the done-callback runs just after result() returns
    while pool.busy and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pool.busy == 0
    pool.shutdown()
