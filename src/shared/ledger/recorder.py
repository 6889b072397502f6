"""What API_CALL_LAMBDA writes to the ledger: the start and the end of every attempt.

Two writes per attempt. Before the HTTP call, ``start`` increments the task's
``attempt_count`` (that is the attempt number) and marks a one-time task ``delivering``,
on condition that the task is not ``cancelled`` — a cancelled task is not delivered (a
Lambda retry that was already queued when ``DELETE`` answered). After the call, ``finish``
writes the attempt item and the task's new status and last outcome in one transaction.

A failed ledger write never blocks or repeats a delivery: nothing here raises; a failure
is logged and counted (``shared.ledger.failures``), and the delivery goes ahead. The
DynamoDB client (botocore) is created on the first write (no AWS SDK import at init).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.delivery.event import ApiCallRequest
from shared.delivery.signing import webhook_id_for
from shared.ledger.client import LazyDynamoDBClient
from shared.ledger.codec import TASK_ENTITY, TASK_SK, attempt_to_item, to_attr
from shared.ledger.config import LedgerConfig
from shared.ledger.failures import report_ledger_failure
from shared.ledger.types import ONE_TIME_TICK, AttemptRecord, error_class_of, excerpt

# Every attribute API_CALL_LAMBDA may write (IAM dynamodb:Attributes in the template).
DELIVERY_ATTRIBUTES = (
    "pk", "sk", "entity", "task_id", "kind", "task_status", "attempt_count", "last_outcome",
    "last_http_status", "last_error", "last_attempt_at", "last_tick", "expires_at", "tick",
    "attempt_number", "started_at", "duration_ms", "outcome", "http_status", "error_class",
    "response_excerpt", "webhook_id", "request_id",
)  # fmt: skip
# Only a task whose status is "cancelled" stops an attempt; no item, or no status, does not
# (stated explicitly rather than relying on how `<>` treats a missing attribute).
NOT_CANCELLED = "attribute_not_exists(pk) OR attribute_not_exists(#status) OR #status <> :cancelled"
STATUS_AFTER = {"delivered": "delivered", "retryable": "retrying", "permanent": "failed"}


def attempt_of_call(
    call: ApiCallRequest,
    *,
    attempt_number: int,
    started_at: datetime,
    started: float,
    outcome: str,
    http_status: int | None,
    error: BaseException | None,
    response_body: str,
    request_id: str | None,
) -> AttemptRecord:
    """Return the ledger's record of one attempt of ``call`` (the task must have an id).

    ``started`` is the ``time.perf_counter()`` of the start (the duration is measured to
    now); ``error`` gives the error class; the body is cut to the ledger's 1 KiB.
    """
    assert call.task_id is not None
    return AttemptRecord(
        task_id=call.task_id,
        tick=call.scheduled_time or ONE_TIME_TICK,
        attempt_number=attempt_number,
        started_at=started_at,
        duration_ms=round((time.perf_counter() - started) * 1000),
        outcome=outcome,
        http_status=http_status,
        error_class=error_class_of(error),
        response_excerpt=excerpt(response_body),
        webhook_id=webhook_id_for(call),
        request_id=request_id,
    )


@dataclass(frozen=True)
class AttemptStart:
    """The start of an attempt: its number (0 when the ledger could not say) and whether
    the task was found cancelled (then nothing must be sent)."""

    attempt_number: int
    cancelled: bool = False


class AttemptRecorder:
    """Record attempts in the ledger table; never raises.

    Parameters
    ----------
    config
        Table name and retention.
    logger
        A Powertools ``Logger``.
    region
        Region of the lazily built client.
    client
        A ``dynamodb`` client (tests inject one).
    """

    def __init__(
        self, config: LedgerConfig, logger: Any, *, region: str | None = None, client: Any = None
    ) -> None:
        self.config = config
        self._logger = logger
        self._client = LazyDynamoDBClient(region, client)

    @property
    def client(self) -> Any:
        """The DynamoDB client, built on first use."""
        return self._client.get()

    def _expires(self, moment: datetime) -> int:
        return int((moment + timedelta(days=self.config.retention_days)).timestamp())

    def start(self, task_id: str, *, recurring: bool, tick: str, now: datetime) -> AttemptStart:
        """Count the attempt and mark the task ``delivering``; report a cancelled task."""
        names = {"#status": "task_status"}
        values = {
            ":one": to_attr(1),
            ":cancelled": to_attr("cancelled"),
            ":entity": to_attr(TASK_ENTITY),
            ":id": to_attr(task_id),
            ":kind": to_attr("recurring" if recurring else "one_time"),
            ":tick": to_attr(tick),
            ":status": to_attr("active" if recurring else "delivering"),
        }
        update = (
            "ADD attempt_count :one SET entity = if_not_exists(entity, :entity), "
            "task_id = if_not_exists(task_id, :id), kind = if_not_exists(kind, :kind), "
            "last_tick = :tick, #status = :status"
        )
        try:
            response = self.client.update_item(
                TableName=self.config.table_name,
                Key={"pk": to_attr(task_id), "sk": to_attr(TASK_SK)},
                UpdateExpression=update,
                ConditionExpression=NOT_CANCELLED,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="UPDATED_NEW",
            )
        except Exception as exc:
            if _error_code(exc) == "ConditionalCheckFailedException":
                return AttemptStart(attempt_number=0, cancelled=True)
            report_ledger_failure(
                self._logger, "start_attempt", exc, table=str(self.config.table_name),
                task_id=task_id,
            )  # fmt: skip
            return AttemptStart(attempt_number=0)
        count = response.get("Attributes", {}).get("attempt_count", {}).get("N", "0")
        return AttemptStart(attempt_number=int(count))

    def finish(self, attempt: AttemptRecord, *, recurring: bool) -> bool:
        """Write the attempt and the task's outcome; return whether the ledger took it."""
        ended = attempt.outcome in ("delivered", "permanent") and not recurring
        started = time.monotonic()
        try:
            self._finish(attempt, recurring=recurring, ended=ended, keep_status=False)
        except Exception as exc:
            if _error_code(exc) == "TransactionCanceledException":
                try:  # the task was cancelled meanwhile: record the attempt, keep "cancelled"
                    self._finish(attempt, recurring=recurring, ended=ended, keep_status=True)
                    return True
                except Exception as again:
                    exc = again
            report_ledger_failure(
                self._logger, "finish_attempt", exc, table=str(self.config.table_name),
                task_id=attempt.task_id,
            )  # fmt: skip
            return False
        finally:
            self._logger.debug(
                "ledger finish", extra={"ledger_ms": round((time.monotonic() - started) * 1e3, 1)}
            )
        return True

    def _finish(
        self, attempt: AttemptRecord, *, recurring: bool, ended: bool, keep_status: bool
    ) -> None:
        table = self.config.table_name
        values: dict[str, Any] = {
            ":outcome": to_attr(attempt.outcome),
            ":http": to_attr(attempt.http_status),
            ":error": to_attr(attempt.error_class),
            ":at": to_attr(attempt.started_at),
            ":tick": to_attr(attempt.tick),
        }
        sets = [
            "last_outcome = :outcome", "last_http_status = :http", "last_error = :error",
            "last_attempt_at = :at", "last_tick = :tick",
        ]  # fmt: skip
        update: dict[str, Any] = {
            "TableName": table,
            "Key": {"pk": to_attr(attempt.task_id), "sk": to_attr(TASK_SK)},
        }
        if ended:
            sets.append("expires_at = :expires")
            values[":expires"] = to_attr(self._expires(attempt.started_at))
        if not recurring and not keep_status:
            sets.append("#status = :status")
            values[":status"] = to_attr(STATUS_AFTER.get(attempt.outcome, "failed"))
            values[":cancelled"] = to_attr("cancelled")
            update["ConditionExpression"] = NOT_CANCELLED
            update["ExpressionAttributeNames"] = {"#status": "task_status"}
        update["UpdateExpression"] = "SET " + ", ".join(sets)
        update["ExpressionAttributeValues"] = values
        put = {
            "TableName": table,
            "Item": attempt_to_item(attempt, self._expires(attempt.started_at)),
        }
        self.client.transact_write_items(TransactItems=[{"Put": put}, {"Update": update}])


def _error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None
