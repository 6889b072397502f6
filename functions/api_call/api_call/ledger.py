"""API_CALL_LAMBDA's ledger glue: one recorder per container, built on first use.

No ``LEDGER_TABLE_NAME``: no ledger (``recorder()`` is None) and the handler delivers as
before. The recorder's DynamoDB client (botocore) is created on the first write, not at import.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.delivery.event import ApiCallRequest
from shared.delivery.logs import logger
from shared.exceptions import CallbackSchedulerError
from shared.ledger.config import LedgerConfig
from shared.ledger.recorder import AttemptRecorder, AttemptStart, attempt_of_call
from shared.ledger.types import ONE_TIME_TICK

_recorders: dict[tuple[str, int, str], AttemptRecorder] = {}


def recorder(region: str) -> AttemptRecorder | None:
    """Return this container's recorder for the configured table; None without a ledger."""
    config = LedgerConfig.from_env()
    if config.table_name is None:
        return None
    key = (config.table_name, config.retention_days, region)
    found = _recorders.get(key)
    if found is None:
        found = _recorders[key] = AttemptRecorder(config, logger, region=region)
    return found


@dataclass
class Attempt:
    """One attempt being made: started in the ledger, finished with its outcome."""

    ledger: AttemptRecorder
    call: ApiCallRequest
    request_id: str | None
    start: AttemptStart
    started_at: datetime
    started: float

    @classmethod
    def begin(
        cls, ledger: AttemptRecorder, call: ApiCallRequest, request_id: str | None
    ) -> Attempt:
        """Record the start (the task must have an id); see ``start.cancelled``."""
        assert call.task_id is not None
        now = datetime.now(UTC)
        start = ledger.start(
            call.task_id,
            recurring=call.scheduled_time is not None,
            tick=call.scheduled_time or ONE_TIME_TICK,
            now=now,
        )
        return cls(ledger, call, request_id, start, now, time.perf_counter())

    def finish(
        self,
        outcome: str,
        *,
        http_status: int | None = None,
        error: BaseException | None = None,
        response_body: str = "",
    ) -> None:
        """Record the attempt's outcome (never raises)."""
        self.ledger.finish(
            attempt_of_call(
                self.call,
                attempt_number=self.start.attempt_number,
                started_at=self.started_at,
                started=self.started,
                outcome=outcome,
                http_status=http_status,
                error=error,
                response_body=response_body,
                request_id=self.request_id,
            ),
            recurring=self.call.scheduled_time is not None,
        )

    def finish_failed(self, error: CallbackSchedulerError, outcome: str) -> None:
        """Record a failed attempt from the delivery core's error."""
        status = getattr(error, "status", None)
        body = str(getattr(error, "response_body", "") or "")
        self.finish(outcome, http_status=status, error=error, response_body=body)


def cancelled_result(call: ApiCallRequest) -> dict[str, Any]:
    """The result of an invocation for a task the ledger says is cancelled (nothing sent)."""
    import json

    logger.warning("task cancelled: not delivered", extra={"correlation_id": call.task_id})
    body = {"success": False, "cancelled": True, "task_id": call.task_id}
    return {"statusCode": 200, "body": json.dumps(body)}
