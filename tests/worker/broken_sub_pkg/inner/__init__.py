"""A sub-package that fails at import time."""

import tests.worker.no_such_module  # type: ignore[import-not-found]  # noqa: F401
