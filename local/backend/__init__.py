"""The local scheduling backend: SQLite store, to-the-second engine, dead letters.

Selected with ``SCHEDULER_BACKEND=local``; production code never imports it.
"""

from shared.scheduling.local.scheduler import LocalScheduler

__all__ = ["LocalScheduler"]
