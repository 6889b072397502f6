"""A job module at the top of the package."""

from tests.worker.import_log import IMPORTS
from worker import batch_schedule

IMPORTS[__name__] += 1


@batch_schedule("cron", hour=9, minute=0)
async def morning_report() -> None:
    return None
