"""Dead letters on AWS: page them from the ledger, redrive one.

The API reads the ledger only: DeadLetterRecorderFunction records what lands in
``DeliveryDeadLetterQueue`` and ``SchedulerDeadLetterQueue`` as it arrives (SQS event
sources, ``shared.ledger.drain``), so the API has no access to the queues. A redrive invokes
ApiCallFunction asynchronously with the recorded event, unchanged, so the ``webhook-id`` is
the one the receiver saw before and the new attempt is recorded by the function like any
other. A letter not recorded yet (still in its queue for a few seconds) is not found (404).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.delivery.event import ApiCallRequest
from shared.delivery.logs import redact_headers
from shared.delivery.signing import webhook_id_for
from shared.exceptions import BackendUnavailableError, InvalidRequestError
from shared.ledger.config import LedgerConfig
from shared.ledger.dead_letter_items import DeadLetterItem
from shared.ledger.dead_letter_store import DeadLetterStore
from shared.settings import Settings


@dataclass
class AwsDeadLetters:
    """The dead letters of a deployed stack (one per API container, clients built lazily)."""

    store: DeadLetterStore
    function_arn: str
    region: str
    lambda_client: Any = None

    @classmethod
    def from_settings(cls, settings: Settings) -> AwsDeadLetters:
        """Build it from the API's settings (the ledger table, ApiCallFunction)."""
        config = LedgerConfig(settings.ledger_table_name, settings.ledger_retention_days)
        return cls(
            store=DeadLetterStore(config, region=settings.aws_region),
            function_arn=str(settings.api_call_function_arn),
            region=settings.aws_region,
        )

    def _lambda(self) -> Any:
        if self.lambda_client is None:
            import boto3
            from botocore.config import Config

            config = Config(connect_timeout=1, read_timeout=3, retries={"total_max_attempts": 2})
            self.lambda_client = boto3.client("lambda", region_name=self.region, config=config)
        return self.lambda_client

    def page(
        self, *, task_id: str | None, limit: int, next_token: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Return one page of dead letters (JSON-ready) and the next token."""
        letters, token = self.store.page(task_id=task_id, page_size=limit, next_token=next_token)
        return [public(letter) for letter in letters], token

    def redrive(self, dl_id: str) -> dict[str, Any]:
        """Invoke ApiCallFunction with the recorded event; the letter leaves the list."""
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
