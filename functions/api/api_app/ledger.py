"""Put the ledger in front of the deployed scheduling backend when ``LEDGER_TABLE_NAME`` is set."""

from __future__ import annotations

from shared.scheduling.port import TaskScheduler
from shared.settings import Settings


def with_ledger(scheduler: TaskScheduler | None, settings: Settings) -> TaskScheduler | None:
    """Return ``scheduler`` wrapped in a ``LedgeredScheduler`` when a ledger table is set."""
    if scheduler is None or not settings.ledger_table_name:
        return scheduler
    from shared.ledger.config import LedgerConfig
    from shared.ledger.dynamodb import DynamoDBLedger
    from shared.ledger.scheduler import LedgeredScheduler

    config = LedgerConfig(settings.ledger_table_name, settings.ledger_retention_days)
    return LedgeredScheduler(scheduler, DynamoDBLedger(config, region=settings.aws_region))
