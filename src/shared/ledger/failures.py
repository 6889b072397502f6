"""A ledger write that failed is never silent: one ERROR log line and one metric.

The metric is CloudWatch Embedded Metric Format written by Powertools to stdout (no AWS
call, nothing that can fail in turn): namespace ``CallbackScheduler``, name
``LedgerWriteFailures``, dimensions ``LedgerTable`` and ``service``. The template's
``LedgerWriteFailuresAlarm`` watches exactly that.
"""

from __future__ import annotations

import os
from typing import Any

METRIC_NAMESPACE = "CallbackScheduler"
FAILURE_METRIC = "LedgerWriteFailures"
TABLE_DIMENSION = "LedgerTable"
DEFAULT_SERVICE = "callback-scheduler"


def report_ledger_failure(
    logger: Any, action: str, error: BaseException, *, table: str, task_id: str | None
) -> None:
    """Log a failed ledger write at ERROR and emit ``LedgerWriteFailures`` = 1.

    Parameters
    ----------
    logger
        A Powertools ``Logger``.
    action
        What was being written (``start_attempt``, ``finish_attempt``, ``cancel``...).
    error
        The exception (only its class and message are logged).
    table
        The ledger table name (the metric's ``LedgerTable`` dimension).
    task_id
        The task, logged as the correlation id.
    """
    logger.error(
        "ledger write failed",
        extra={
            "correlation_id": task_id,
            "ledger_action": action,
            "ledger_error": f"{type(error).__name__}: {error}"[:500],
        },
    )
    try:
        from aws_lambda_powertools.metrics import MetricUnit, single_metric

        with single_metric(
            name=FAILURE_METRIC,
            unit=MetricUnit.Count,
            value=1,
            namespace=METRIC_NAMESPACE,
            default_dimensions={
                TABLE_DIMENSION: table,
                "service": os.environ.get("POWERTOOLS_SERVICE_NAME") or DEFAULT_SERVICE,
            },
        ):
            pass
    except Exception as exc:  # the metric must never turn into a failed delivery
        logger.error("ledger failure metric not emitted", extra={"error": type(exc).__name__})
