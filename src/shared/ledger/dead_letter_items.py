"""Dead letters as ledger items (standard library only).

A dead letter is two items written in one transaction with the task's ``failed`` status:

- ``(pk="DL#<id>", sk="DL")``, with ``dl_entity="DEAD_LETTER"`` and
  ``dl_order="<dead-lettered at>#<id>"``: the sparse index ``dead-letters`` lists every
  dead letter oldest first, and a redrive finds one by id with a ``GetItem``;
- ``(pk=<task id>, sk="DL#<dead-lettered at>#<id>")``: the task's own dead letters, oldest
  first, with one ``Query`` next to its attempts.

A redrive removes ``dl_entity`` (the letter leaves the index) and the task's copy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from shared.ledger.codec import Item, from_attr, to_attr

INDEX_DEAD_LETTERS = "dead-letters"
DL_ENTITY = "DEAD_LETTER"
DL_PREFIX = "DL#"
DL_SK = "DL"
# Every attribute ``DeadLetterItem.items`` writes, keys included: DeadLetterRecorderFunction
# may put items with these and no others (template.yaml, ``dynamodb:Attributes``).
DEAD_LETTER_ATTRIBUTES = (
    "pk", "sk", "dl_entity", "dl_id", "task_id", "scheduled_time", "reason", "status",
    "response_body", "dl_error", "dl_attempts", "dl_call", "dead_lettered_at", "dl_queue",
    "dl_order", "expires_at",
)  # fmt: skip


def main_key(dl_id: str) -> Item:
    """Return the key of a dead letter's own item."""
    return {"pk": to_attr(DL_PREFIX + dl_id), "sk": to_attr(DL_SK)}


@dataclass(frozen=True)
class DeadLetterItem:
    """A recorded dead letter, as the API shows it (``call`` is the event, unredacted)."""

    dl_id: str
    task_id: str
    scheduled_time: str
    reason: str
    status: int | None
    response_body: str
    error: str
    attempts: list[dict[str, Any]]
    call: Any
    dead_lettered_at: str
    queue: str

    @property
    def order(self) -> str:
        """The index's sort key: time, then id."""
        return f"{self.dead_lettered_at}#{self.dl_id}"

    def task_key(self) -> Item:
        """Return the key of the task's copy."""
        return {"pk": to_attr(self.task_id), "sk": to_attr(DL_PREFIX + self.order)}

    def items(self, expires_at: int) -> tuple[Item, Item | None]:
        """Return the dead letter's own item and the task's copy (None: no task id)."""
        fields: dict[str, object] = {
            "dl_id": self.dl_id,
            "task_id": self.task_id or None,  # an index key: never "" (no task: left out)
            "scheduled_time": self.scheduled_time,
            "reason": self.reason,
            "status": self.status,
            "response_body": self.response_body,
            "dl_error": self.error,
            "dl_attempts": json.dumps(self.attempts, separators=(",", ":")),
            "dl_call": json.dumps(self.call, separators=(",", ":")),
            "dead_lettered_at": self.dead_lettered_at,
            "dl_queue": self.queue,
            "dl_order": self.order,
            "expires_at": expires_at,
        }
        base = {name: to_attr(value) for name, value in fields.items() if value is not None}
        main = base | main_key(self.dl_id) | {"dl_entity": to_attr(DL_ENTITY)}
        copy = base | self.task_key() if self.task_id else None
        return main, copy

    @classmethod
    def from_item(cls, item: Item) -> DeadLetterItem:
        """Return the dead letter of either of its items."""
        value = {name: from_attr(attr) for name, attr in item.items()}
        return cls(
            dl_id=str(value.get("dl_id") or ""),
            task_id=str(value.get("task_id") or ""),
            scheduled_time=str(value.get("scheduled_time") or ""),
            reason=str(value.get("reason") or ""),
            status=value.get("status"),
            response_body=str(value.get("response_body") or ""),
            error=str(value.get("dl_error") or ""),
            attempts=json.loads(value.get("dl_attempts") or "[]"),
            call=json.loads(value.get("dl_call") or "null"),
            dead_lettered_at=str(value.get("dead_lettered_at") or ""),
            queue=str(value.get("dl_queue") or ""),
        )
