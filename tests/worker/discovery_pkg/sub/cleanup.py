"""A job module in a nested package."""

from tests.worker.import_log import IMPORTS
from worker import batch_schedule

IMPORTS[__name__] += 1


@batch_schedule("interval", minutes=10)
def cleanup() -> None:
    return None
