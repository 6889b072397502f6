"""A nested package: its modules are discovered too."""

from tests.worker.import_log import IMPORTS

IMPORTS[__name__] += 1
