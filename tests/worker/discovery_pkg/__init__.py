"""A schedules package for the discovery tests."""

from tests.worker.import_log import IMPORTS

IMPORTS[__name__] += 1
