"""Structured JSON logging (Powertools Logger), one logger per service name."""

from __future__ import annotations

import os
from functools import lru_cache

from aws_lambda_powertools import Logger

DEFAULT_SERVICE = "callback-scheduler"


@lru_cache(maxsize=8)
def get_logger(service: str | None = None) -> Logger:
    """Return the process-wide Powertools logger for ``service``.

    Parameters
    ----------
    service
        Service name; defaults to ``POWERTOOLS_SERVICE_NAME`` or ``callback-scheduler``.

    Returns
    -------
    Logger
        A JSON logger; ``POWERTOOLS_LOG_LEVEL`` sets its level.
    """
    name = service or os.environ.get("POWERTOOLS_SERVICE_NAME") or DEFAULT_SERVICE
    return Logger(service=name)
