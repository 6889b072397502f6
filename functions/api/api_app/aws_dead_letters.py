"""Dead letters on AWS: drain the two queues into the ledger, page them, redrive one.

The API drains on read: a list (and a redrive of an id not recorded yet) first moves what
waits in ``DeliveryDeadLetterQueue`` and ``SchedulerDeadLetterQueue`` into the ledger
(``shared.ledger.drain``), then answers from the ledger. A redrive invokes ApiCallFunction
asynchronously with the recorded event, unchanged, so the ``webhook-id`` is the one the
receiver saw before and the new attempt is recorded by the function like any other.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.delivery.event import ApiCallRequest
from shared.delivery.logs import redact_headers
from shared.delivery.signing import webhook_id_for
from shared.exceptions import BackendUnavailableError, InvalidRequestError, TaskNotFoundError
from shared.ledger.config import LedgerConfig
from shared.ledger.dead_letter_items import DeadLetterItem
from shared.ledger.dead_letter_messages import QueueKind
from shared.ledger.dead_letter_store import DeadLetterStore
from shared.ledger.drain import TIME_BUDGET_SECONDS, drain_queue
from shared.log import get_logger
from shared.settings import Settings

logger = get_logger()


def queue_url_of(arn: str) -> str:
    """Return the URL of the SQS queue ``arn:<partition>:sqs:<region>:<account>:<name>``."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        raise ValueError(f"not an SQS queue ARN: {arn!r}")
    _, partition, _, region, account, name = parts
    suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return f"https://sqs.{region}.{suffix}/{account}/{name}"


@dataclass
class AwsDeadLetters:
    """The dead letters of a deployed stack (one per API container, clients built lazily)."""

    store: DeadLetterStore
    function_arn: str
    queues: tuple[tuple[str, QueueKind], ...]
    region: str
    sqs: Any = None
    lambda_client: Any = None

    @classmethod
    def from_settings(cls, settings: Settings) -> AwsDeadLetters:
        """Build it from the API's settings (the ledger table and both queues)."""
        config = LedgerConfig(settings.ledger_table_name, settings.ledger_retention_days)
        queues: list[tuple[str, QueueKind]] = []
        if settings.dead_letter_queue_url:
            queues.append((settings.dead_letter_queue_url, "delivery"))
        if settings.dead_letter_queue_arn:
            queues.append((queue_url_of(settings.dead_letter_queue_arn), "scheduler"))
        return cls(
            store=DeadLetterStore(config, region=settings.aws_region),
            function_arn=str(settings.api_call_function_arn),
            queues=tuple(queues),
            region=settings.aws_region,
        )

    def _sqs(self) -> Any:
        if self.sqs is None:
            from shared.delivery.deadletter import sqs_client

            self.sqs = sqs_client(self.region)
        return self.sqs

    def _lambda(self) -> Any:
        if self.lambda_client is None:
            import boto3
            from botocore.config import Config

            config = Config(connect_timeout=1, read_timeout=3, retries={"total_max_attempts": 2})
            self.lambda_client = boto3.client("lambda", region_name=self.region, config=config)
        return self.lambda_client

    def drain(self) -> None:
        """Record what waits in both queues within one time budget; a queue that cannot be
        read is logged, not fatal."""
        deadline = time.monotonic() + TIME_BUDGET_SECONDS
        for url, kind in self.queues:
            budget = deadline - time.monotonic()
            try:
                drain_queue(self._sqs(), url, kind, self.store, logger, budget_seconds=budget)
            except Exception as exc:  # the ledger still answers with what it has
                logger.error(
                    "dead-letter queue not drained",
                    extra={"queue": kind, "error": f"{type(exc).__name__}: {exc}"[:300]},
                )

    def page(
        self, *, task_id: str | None, limit: int, next_token: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Drain, then return one page of dead letters (JSON-ready) and the next token."""
        self.drain()
        letters, token = self.store.page(task_id=task_id, page_size=limit, next_token=next_token)
        return [public(letter) for letter in letters], token

    def redrive(self, dl_id: str) -> dict[str, Any]:
        """Invoke ApiCallFunction with the recorded event; the letter leaves the list."""
        try:
            letter = self.store.claim(dl_id, now=datetime.now(UTC), check=_webhook_id)
        except TaskNotFoundError:  # perhaps still in a queue: record it, then try again
            self.drain()
            letter = self.store.claim(dl_id, now=datetime.now(UTC), check=_webhook_id)
        try:
            response = self._lambda().invoke(
                FunctionName=self.function_arn,
                InvocationType="Event",
                Payload=json.dumps(letter.call, separators=(",", ":")).encode(),
            )
        except Exception as exc:
            self.store.release(letter, now=datetime.now(UTC))
            raise BackendUnavailableError(
                f"ApiCallFunction could not be invoked ({type(exc).__name__}): not redriven"
            ) from exc
        return {
            "id": letter.dl_id,
            "task_id": letter.task_id,
            "webhook_id": _webhook_id(letter),
            "request_id": str(response.get("ResponseMetadata", {}).get("RequestId") or ""),
            "state": "redriven",
        }


def _webhook_id(letter: DeadLetterItem) -> str:
    try:
        return webhook_id_for(ApiCallRequest.from_event(letter.call))
    except InvalidRequestError as exc:
        raise InvalidRequestError(
            f"dead letter {letter.dl_id!r} holds a call that cannot be sent: {exc.message}"
        ) from None


def public(letter: DeadLetterItem) -> dict[str, Any]:
    """Return the API's view of a letter: headers redacted; a non-object body under ``raw``."""
    call = letter.call if isinstance(letter.call, dict) else {"raw": letter.call}
    if isinstance(call.get("headers"), dict):
        call = {**call, "headers": redact_headers(call["headers"])}
    attempts = letter.attempts or [
        {"at": letter.dead_lettered_at, "status": letter.status, "error": letter.error}
    ]
    return {
        "id": letter.dl_id,
        "task_id": letter.task_id,
        "scheduled_time": letter.scheduled_time,
        "reason": letter.reason,
        "status": letter.status,
        "response_body": letter.response_body,
        "attempts": attempts,
        "call": call,
        "dead_lettered_at": letter.dead_lettered_at,
    }
