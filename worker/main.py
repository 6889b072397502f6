"""``python -m worker`` (run the scheduler) and ``python -m worker healthcheck``.

Exit codes: 0 clean stop (SIGTERM/SIGINT, running jobs finished), 1 the grace period ran out
with jobs still running, or the health check failed, 2 configuration error (missing setting,
bad time zone, a schedules module that does not import).
"""

from __future__ import annotations

import asyncio
import logging
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
    return 0 if finished else 1


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
