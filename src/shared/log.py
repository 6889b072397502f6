"""The one logging helper: structured JSON lines (Powertools) for every runtime.

- Lambda handlers and the API log through ``get_logger()``, a Powertools ``Logger`` (its
  ``inject_lambda_context`` adds the request id and cold-start flag).
- Long-running processes (the batch worker; ``make run``'s API, where the local engine logs)
  call ``configure_logging()`` once, or name ``json_formatter`` in a logging config file;
  their modules keep plain ``logging.getLogger(name)`` loggers, and every record comes out
  as the same JSON line (``level``, ``location``, ``message``, ``timestamp``, ``service``).

The level is ``POWERTOOLS_LOG_LEVEL`` (default INFO); the service is
``POWERTOOLS_SERVICE_NAME`` (default ``callback-scheduler``).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from functools import lru_cache

from aws_lambda_powertools import Logger

DEFAULT_SERVICE = "callback-scheduler"


def service_name(service: str | None = None) -> str:
    """Return ``service``, else ``POWERTOOLS_SERVICE_NAME``, else ``callback-scheduler``."""
    return service or os.environ.get("POWERTOOLS_SERVICE_NAME") or DEFAULT_SERVICE


@lru_cache(maxsize=8)
def get_logger(service: str | None = None) -> Logger:
    """Return the process-wide Powertools logger for ``service``.

    Parameters
    ----------
    service
        Service name; defaults to ``service_name()``.

    Returns
    -------
    Logger
        A JSON logger; ``POWERTOOLS_LOG_LEVEL`` sets its level.
    """
    return Logger(service=service_name(service))


def json_formatter() -> logging.Formatter:
    """Return the formatter of ``get_logger``'s lines, for stdlib handlers.

    Returns
    -------
    logging.Formatter
        Powertools' JSON formatter (UTC timestamps, ``service`` set).
    """
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    return LambdaPowertoolsFormatter(utc=True, service=service_name())


def configure_logging(level: str | None = None, *, quiet: Iterable[str] = ()) -> None:
    """Send every stdlib logger's records to stderr as JSON lines (long-running processes).

    Parameters
    ----------
    level
        Root level; defaults to ``POWERTOOLS_LOG_LEVEL`` or ``INFO``.
    quiet
        Logger names kept at WARNING (e.g. a chatty library's).
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel((level or os.environ.get("POWERTOOLS_LOG_LEVEL") or "INFO").upper())
    for name in quiet:
        logging.getLogger(name).setLevel(logging.WARNING)
