"""``python -m worker`` (run the scheduler) and ``python -m worker healthcheck``.

Exit codes: 0 clean stop (SIGTERM/SIGINT, running jobs finished), 1 the grace period ran out
with jobs still running, or the health check failed, 2 configuration error (missing setting,
bad time zone, a schedules module that does not import, settings that break the lock rule).

When the grace period runs out, async jobs are cancelled; a plain job's thread cannot be
stopped from Python, so the process ends at once with ``os._exit(1)`` and the thread dies
with it. Its no-overlap guard is *not* released (the job never finished cleanly); it expires
``BATCH_GUARD_TTL_SECONDS`` after the process is gone, so no other replica starts the job
while this thread could still be running.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence

from shared.exceptions import ConfigurationError
from shared.log import configure_logging
from shared.settings import Settings, load_settings
from worker import health
from worker.service import BatchWorker

log = logging.getLogger("worker.main")


async def serve(settings: Settings) -> int:
    """Run until SIGTERM/SIGINT; then stop taking ticks and let running jobs finish."""
    worker = BatchWorker(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await worker.start()
    await stop.wait()
    log.info("signal received: stopping")
    finished = await worker.stop()
    if not finished:
        log.error(
            "exiting with jobs still running: their threads end with the process;"
            " no-overlap guards are left to expire"
        )
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(1)  # not sys.exit: the interpreter would wait for the job threads
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m worker [run|healthcheck]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "run"
    try:
        settings = load_settings()
        if command == "healthcheck":
            return health.healthcheck_main()
        if command != "run":
            print(f"usage: python -m worker [run|healthcheck] (got {command!r})", file=sys.stderr)
            return 2
        configure_logging(quiet=("apscheduler",))  # JSON lines on stderr (awslogs)
        settings.ensure_ready("worker")
        return asyncio.run(serve(settings))
    except ConfigurationError as exc:
        log.critical("batch worker cannot start: %s", exc.message)
        print(f"batch worker cannot start: {exc.message}", file=sys.stderr)
        return 2
