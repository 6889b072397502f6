"""The local scheduling backend: SQLite store, to-the-second engine, dead letters.

Selected with ``SCHEDULER_BACKEND=local``; production code never imports it.
"""

from local.backend.scheduler import LocalScheduler

__all__ = ["LocalScheduler"]
