"""``python -m tests.worker.skewed_worker``: the worker with its clock moved by an offset.

``WORKER_TEST_CLOCK_OFFSET`` seconds are added to every "now" APScheduler reads (the
scheduler's wake-ups and the executor's misfire check), as a replica whose system clock is
that far ahead (or behind, when negative) would see it. Test-only: the product has no hook.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta, tzinfo

import apscheduler.executors.base
import apscheduler.schedulers.base

from worker.main import main

OFFSET = timedelta(seconds=float(os.environ.get("WORKER_TEST_CLOCK_OFFSET", "0")))


class SkewedDatetime(datetime):
    """``datetime`` whose ``now`` is off by ``OFFSET``."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> SkewedDatetime:
        real = datetime.now(tz) + OFFSET
        return cls.fromtimestamp(real.timestamp(), tz)


apscheduler.schedulers.base.datetime = SkewedDatetime
apscheduler.executors.base.datetime = SkewedDatetime

if __name__ == "__main__":
    sys.exit(main())
