"""The ledger's dead letters on DynamoDB: record one, page through them, claim one to redrive.

Item layout in ``shared.ledger.dead_letter_items``. Reads and claims map botocore failures
to domain errors as ``DynamoDBLedger`` does; ``record`` lets them propagate, so the caller
keeps the queue message when the ledger did not take it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from shared.exceptions import TaskConflictError, TaskNotFoundError
from shared.ledger.codec import ATTEMPT_PREFIX, TASK_SK, decode_token, encode_token, to_attr
from shared.ledger.codec import item_to_attempt as _attempt
from shared.ledger.dead_letter_items import (
    DL_ENTITY,
    DL_PREFIX,
    INDEX_DEAD_LETTERS,
    DeadLetterItem,
    main_key,
)
from shared.ledger.dynamodb import DynamoDBLedger, _code, _mapped

# What a recorded dead letter changes on its task (``_status_update``), keys included:
# DeadLetterRecorderFunction may update these and no others (template.yaml).
TASK_STATUS_ATTRIBUTES = ("pk", "sk", "task_status", "expires_at")
_BASE_KEY = frozenset({"pk", "sk"})
_INDEX_KEY = frozenset({"pk", "sk", "dl_entity", "dl_order"})
_TASK_KEY = {"sk": to_attr(TASK_SK)}


class DeadLetterStore(DynamoDBLedger):
    """Dead letters in the ledger table, next to the tasks they belong to."""

    def tick_attempts(self, task_id: str, tick: str) -> list[dict[str, Any]]:
        """Return the attempts of one tick as the dead letter lists them (at, status, error)."""
        response = self.client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :a)",
            ExpressionAttributeValues={
                ":pk": to_attr(task_id),
                ":a": to_attr(f"{ATTEMPT_PREFIX}{tick}#"),
            },
            ConsistentRead=True,
            Limit=100,
        )
        attempts = [_attempt(item) for item in response.get("Items", [])]
        return [
            {"at": a.started_at.isoformat(), "status": a.http_status, "error": a.error_class or ""}
            for a in attempts
        ]

    def record(self, letter: DeadLetterItem, *, now: datetime) -> bool:
        """Write the letter and mark its one-time task ``failed``, in one transaction.

        Returns False when the letter was recorded before (a message received twice).
        Any other failure raises: the message must then stay in its queue.
        """
        expires = int((now + self.retention).timestamp())
        main, copy = letter.items(expires)
        writes: list[dict[str, Any]] = [
            {"Put": {"TableName": self.table, "Item": main,
                     "ConditionExpression": "attribute_not_exists(pk)"}},
        ]  # fmt: skip
        if copy is not None:
            writes.append({"Put": {"TableName": self.table, "Item": copy}})
            task = self.get_task(letter.task_id)
            if task is not None and task.kind == "one_time" and task.status != "cancelled":
                writes.append({"Update": self._status_update(task.task_id, task.status, "failed",
                                                             expires)})  # fmt: skip
        try:
            self.client.transact_write_items(TransactItems=writes)
        except Exception as exc:
            if _code(exc) == "TransactionCanceledException" and self._exists(letter.dl_id):
                return False
            raise
        return True

    def _exists(self, dl_id: str) -> bool:
        return self._main_item(dl_id) is not None

    def _main_item(self, dl_id: str) -> dict[str, Any] | None:
        got = self.client.get_item(TableName=self.table, Key=main_key(dl_id), ConsistentRead=True)
        item: dict[str, Any] | None = got.get("Item")
        return item

    def _status_update(
        self, task_id: str, seen: str, new: str, expires: int | None
    ) -> dict[str, Any]:
        values = {":seen": to_attr(seen), ":new": to_attr(new)}
        update = "SET task_status = :new"
        if expires is not None:
            update += ", expires_at = :exp"
            values[":exp"] = to_attr(expires)
        else:
            update += " REMOVE expires_at"
        return {
            "TableName": self.table,
            "Key": {"pk": to_attr(task_id)} | _TASK_KEY,
            "UpdateExpression": update,
            "ConditionExpression": "task_status = :seen",
            "ExpressionAttributeValues": values,
        }

    def page(
        self, *, task_id: str | None = None, page_size: int = 100, next_token: str | None = None
    ) -> tuple[list[DeadLetterItem], str | None]:
        """Return one page of dead letters, oldest first, and the next page's token."""
        params: dict[str, Any] = {"TableName": self.table, "Limit": page_size}
        if task_id is None:
            params |= {
                "IndexName": INDEX_DEAD_LETTERS,
                "KeyConditionExpression": "dl_entity = :e",
                "ExpressionAttributeValues": {":e": to_attr(DL_ENTITY)},
            }
        else:
            params |= {
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :dl)",
                "ExpressionAttributeValues": {":pk": to_attr(task_id), ":dl": to_attr(DL_PREFIX)},
                "ConsistentRead": True,
            }
        start = decode_token(next_token, _INDEX_KEY if task_id is None else _BASE_KEY)
        if start is not None:
            params["ExclusiveStartKey"] = start
        with _mapped("list dead letters"):
            response = self.client.query(**params)
        letters = [DeadLetterItem.from_item(item) for item in response.get("Items", [])]
        return letters, encode_token(response.get("LastEvaluatedKey"))

    def claim(
        self,
        dl_id: str,
        *,
        now: datetime,
        check: Callable[[DeadLetterItem], object] | None = None,
    ) -> DeadLetterItem:
        """Take a letter off the list for a redrive; its one-time task is ``scheduled`` again.

        Raises ``TaskNotFoundError`` (no such letter, or redriven already) and
        ``TaskConflictError`` (its task was cancelled: nothing may be sent); ``check`` runs
        on the letter before anything is written and may raise too.
        """
        with _mapped("read the dead letter"):
            item = self._main_item(dl_id)
        if item is None or "dl_entity" not in item:
            raise TaskNotFoundError(f"no dead letter {dl_id!r}", details={"dl_id": dl_id})
        letter = DeadLetterItem.from_item(item)
        if check is not None:
            check(letter)
        task = self.get_task(letter.task_id) if letter.task_id else None
        if task is not None and task.status == "cancelled":
            raise TaskConflictError(f"task {letter.task_id!r} is cancelled: not redriven")
        writes = self._claim_writes(letter, now)
        if task is not None and task.kind == "one_time" and task.status == "failed":
            back = self._status_update(task.task_id, "failed", "scheduled", None)
            writes.append({"Update": back})
        with _mapped("claim the dead letter"):
            try:
                self.client.transact_write_items(TransactItems=writes)
            except Exception as exc:
                if _code(exc) != "TransactionCanceledException":
                    raise
                raise TaskConflictError(f"dead letter {dl_id!r} changed meanwhile") from None
        return letter

    def _claim_writes(self, letter: DeadLetterItem, now: datetime) -> list[dict[str, Any]]:
        writes: list[dict[str, Any]] = [{"Update": {
            "TableName": self.table, "Key": main_key(letter.dl_id),
            "UpdateExpression": "SET redriven_at = :now REMOVE dl_entity",
            "ConditionExpression": "attribute_exists(dl_entity)",
            "ExpressionAttributeValues": {":now": to_attr(now)},
        }}]  # fmt: skip
        if letter.task_id:
            writes.append({"Delete": {"TableName": self.table, "Key": letter.task_key()}})
        return writes

    def release(self, letter: DeadLetterItem, *, now: datetime) -> None:
        """Undo a claim whose invocation failed: the letter is listed again, the task failed."""
        expires = int((now + self.retention).timestamp())
        main, copy = letter.items(expires)
        writes: list[dict[str, Any]] = [{"Put": {"TableName": self.table, "Item": main}}]
        if copy is not None:
            writes.append({"Put": {"TableName": self.table, "Item": copy}})
            task = self.get_task(letter.task_id)
            if task is not None and task.kind == "one_time" and task.status == "scheduled":
                writes.append({"Update": self._status_update(task.task_id, "scheduled", "failed",
                                                             expires)})  # fmt: skip
        with _mapped("release the dead letter"):
            self.client.transact_write_items(TransactItems=writes)
