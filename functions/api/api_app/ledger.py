"""Put the ledger in front of the deployed scheduling backend when ``LEDGER_TABLE_NAME`` is set.

The wrapping is built when a request first needs the backend (``api_app.deps``), not when the
app is: the ledger's modules (its records, codec, DynamoDB client and ``LedgeredScheduler``,
with the scheduling types they use) are then not imported by a cold start, nor by the
requests that need no backend (health, schedule preview, callback). Building it cannot fail:
the settings it reads are validated with the others when the app is built.
"""

from __future__ import annotations

import threading

from shared.scheduling.port import TaskScheduler
from shared.settings import Settings


class PendingLedger:
    """``inner`` with the ledger in front, built on the first ``scheduler()``.

    Parameters
    ----------
    inner
        The scheduling backend the ledger wraps.
    settings
        Where the ledger is (``ledger_table_name``, ``ledger_retention_days``, ``aws_region``).
    """

    def __init__(self, inner: TaskScheduler, settings: Settings) -> None:
        self.inner = inner
        self._settings = settings
        self._lock = threading.Lock()
        self._built: TaskScheduler | None = None

    @property
    def built(self) -> bool:
        """Whether a request has needed the backend yet (the ledger is then wired)."""
        return self._built is not None

    def scheduler(self) -> TaskScheduler:
        """Return the ``LedgeredScheduler`` (the same one on every call)."""
        if self._built is None:
            with self._lock:
                if self._built is None:
                    self._built = _ledgered(self.inner, self._settings)
        return self._built


def _ledgered(scheduler: TaskScheduler, settings: Settings) -> TaskScheduler:
    from shared.ledger.config import LedgerConfig
    from shared.ledger.dynamodb import DynamoDBLedger
    from shared.ledger.scheduler import LedgeredScheduler

    config = LedgerConfig(settings.ledger_table_name, settings.ledger_retention_days)
    return LedgeredScheduler(scheduler, DynamoDBLedger(config, region=settings.aws_region))


def with_ledger(
    scheduler: TaskScheduler | None, settings: Settings
) -> TaskScheduler | PendingLedger | None:
    """Return ``scheduler`` to be wrapped in a ``LedgeredScheduler`` (on first use) when a
    ledger table is set, else ``scheduler`` itself."""
    if scheduler is None or not settings.ledger_table_name:
        return scheduler
    return PendingLedger(scheduler, settings)
