"""DynamoDB adapter of the ledger port (the API's side: tasks, cancellations, reads).

botocore failures become ``BackendUnavailableError`` (503) or ``ThrottledError`` (429);
a page token that is not ours is an ``InvalidRequestError`` (400).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from shared.exceptions import BackendUnavailableError, ThrottledError
from shared.ledger.client import LazyDynamoDBClient
from shared.ledger.codec import (
    ATTEMPT_PREFIX,
    INDEX_BY_ID,
    INDEX_BY_STATUS,
    TASK_ENTITY,
    TASK_SK,
    decode_token,
    encode_token,
    item_to_attempt,
    item_to_task,
    task_to_item,
    to_attr,
)
from shared.ledger.config import LedgerConfig
from shared.ledger.types import AttemptPage, TaskRecord, TaskRecordPage

_THROTTLED = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
_BASE_KEY = frozenset({"pk", "sk"})
_BY_ID_KEY = frozenset({"pk", "sk", "entity", "task_id"})
_BY_STATUS_KEY = frozenset({"pk", "sk", "task_status", "task_id"})


class DynamoDBLedger:
    """``TaskLedger`` on one DynamoDB table (layout in ``shared.ledger.codec``).

    Parameters
    ----------
    config
        Table name and retention.
    region
        Region of the lazily built client.
    client
        A boto3 ``dynamodb`` client; built on first use when omitted.
    """

    def __init__(self, config: LedgerConfig, *, region: str | None = None, client: Any = None):
        if not config.table_name:
            raise ValueError("the ledger needs a table name")
        self.table = config.table_name
        self.retention = timedelta(days=config.retention_days)
        self._client = LazyDynamoDBClient(region, client)

    @property
    def client(self) -> Any:
        """The DynamoDB client, built on first use."""
        return self._client.get()

    def put_task(self, task: TaskRecord) -> TaskRecord | None:
        """Write the task unless its id is taken; return the recorded one when it is."""
        with _mapped("record the task"):
            try:
                self.client.put_item(
                    TableName=self.table,
                    Item=task_to_item(task),
                    ConditionExpression="attribute_not_exists(pk)",
                )
                return None
            except Exception as exc:
                if _code(exc) != "ConditionalCheckFailedException":
                    raise
        existing = self.get_task(task.task_id)
        return existing if existing is not None else task

    def get_task(self, task_id: str) -> TaskRecord | None:
        """Return the task, or None (a consistent read: a create is seen at once)."""
        with _mapped("read the task"):
            response = self.client.get_item(
                TableName=self.table,
                Key={"pk": to_attr(task_id), "sk": to_attr(TASK_SK)},
                ConsistentRead=True,
            )
        item = response.get("Item")
        return item_to_task(item) if item else None

    def delete_task(self, task_id: str) -> None:
        """Delete the task item (only used to undo a create whose schedule failed)."""
        with _mapped("undo the task"):
            self.client.delete_item(
                TableName=self.table, Key={"pk": to_attr(task_id), "sk": to_attr(TASK_SK)}
            )

    def cancel_task(self, task_id: str, *, now: datetime) -> bool:
        """Mark the task cancelled unless it is unknown, delivered, failed or cancelled."""
        with _mapped("cancel the task"):
            try:
                self.client.update_item(
                    TableName=self.table,
                    Key={"pk": to_attr(task_id), "sk": to_attr(TASK_SK)},
                    UpdateExpression="SET #s = :cancelled, cancelled_at = :now, expires_at = :exp",
                    ConditionExpression="attribute_exists(pk) AND NOT #s IN (:d, :f, :cancelled)",
                    ExpressionAttributeNames={"#s": "task_status"},
                    ExpressionAttributeValues={
                        ":cancelled": to_attr("cancelled"),
                        ":d": to_attr("delivered"),
                        ":f": to_attr("failed"),
                        ":now": to_attr(now),
                        ":exp": to_attr(int((now + self.retention).timestamp())),
                    },
                )
            except Exception as exc:
                if _code(exc) == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    def list_tasks(
        self,
        *,
        status: str | None = None,
        prefix: str | None = None,
        page_size: int = 50,
        next_token: str | None = None,
    ) -> TaskRecordPage:
        """Query one of the two task indexes: by id, or by status then id."""
        key_name, key_value, index = "entity", TASK_ENTITY, INDEX_BY_ID
        if status is not None:
            key_name, key_value, index = "task_status", status, INDEX_BY_STATUS
        condition = "#k = :k"
        values = {":k": to_attr(key_value)}
        if prefix:
            condition += " AND begins_with(task_id, :p)"
            values[":p"] = to_attr(prefix)
        params: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": {"#k": key_name},
            "ExpressionAttributeValues": values,
            "Limit": page_size,
        }
        start = decode_token(next_token, _BY_STATUS_KEY if status else _BY_ID_KEY)
        if start is not None:
            params["ExclusiveStartKey"] = start
        with _mapped("list tasks"):
            response = self.client.query(**params)
        tasks = [item_to_task(item) for item in response.get("Items", [])]
        return TaskRecordPage(tasks, encode_token(response.get("LastEvaluatedKey")))

    def list_attempts(
        self, task_id: str, *, page_size: int = 50, next_token: str | None = None
    ) -> AttemptPage:
        """Query the task's attempt items in sort-key order (tick, then attempt number)."""
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :a)",
            "ExpressionAttributeValues": {":pk": to_attr(task_id), ":a": to_attr(ATTEMPT_PREFIX)},
            "Limit": page_size,
            "ConsistentRead": True,
        }
        start = decode_token(next_token, _BASE_KEY)
        if start is not None:
            params["ExclusiveStartKey"] = start
        with _mapped("list attempts"):
            response = self.client.query(**params)
        attempts = [item_to_attempt(item) for item in response.get("Items", [])]
        return AttemptPage(attempts, encode_token(response.get("LastEvaluatedKey")))


def _code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code") or "") or None
    return None


@contextmanager
def _mapped(action: str) -> Iterator[None]:
    """Turn botocore failures into domain errors (no botocore import needed here)."""
    try:
        yield
    except Exception as exc:
        code = _code(exc)
        module = type(exc).__module__
        if code is None and not module.startswith(("botocore", "urllib3")):
            raise
        if code in _THROTTLED:
            raise ThrottledError(f"the ledger is busy: {action}") from exc
        name = code or type(exc).__name__
        raise BackendUnavailableError(
            f"the ledger is unavailable: cannot {action} ({name})",
            details={"aws_error_code": name},
        ) from exc
