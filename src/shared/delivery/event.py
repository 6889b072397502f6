"""The API_CALL_LAMBDA event: the seed's shape plus documented optional keys."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.delivery.headers import check_headers
from shared.delivery.urls import parse_target_url
from shared.environment import LAMBDA_MAX_TIMEOUT_SECONDS as MAX_TIMEOUT_SECONDS
from shared.exceptions import InvalidRequestError

ALLOWED_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
MAX_JSON_DEPTH = 64
MAX_NONCE_LENGTH = 64

# EventBridge Scheduler replaces this placeholder with the tick's time (ISO 8601, UTC) in a
# schedule's Input; a recurring task's webhook-id is derived from it so that retries of one
# tick share an id while every tick gets its own.
SCHEDULED_TIME_PLACEHOLDER = "<aws.scheduler.scheduled-time>"


@dataclass(frozen=True)
class ApiCallRequest:
    """One deferred HTTP call, exactly as a schedule's ``Target.Input`` carries it.

    Keys: ``target_url`` (required), ``method`` (default ``POST``), ``headers`` (default
    ``{}``), ``body`` (default ``{}``, any JSON value), and the optional ``task_id`` (id of
    the task), ``nonce`` (random, made when the task is created; the ``webhook-id`` derives
    from it), ``scheduled_time`` (the tick of a recurring task) and ``timeout_seconds``
    (per-call HTTP timeout). Unknown keys are ignored. ``target_url`` is kept as urllib3
    normalised it (``shared.delivery.urls``).
    """

    target_url: str
    method: str = "POST"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = field(default_factory=dict)
    task_id: str | None = None
    scheduled_time: str | None = None
    timeout_seconds: float | None = None
    nonce: str | None = None

    @classmethod
    def from_event(cls, event: Any) -> ApiCallRequest:
        """Parse and validate an event; raise ``InvalidRequestError`` naming the bad key."""
        if not isinstance(event, Mapping):
            raise InvalidRequestError("event must be a JSON object")
        target_url = parse_target_url(event.get("target_url")).url
        method = event.get("method", "POST")
        if not isinstance(method, str) or method.upper() not in ALLOWED_METHODS:
            raise InvalidRequestError(f"method must be one of {sorted(ALLOWED_METHODS)}")
        headers = check_headers(event.get("headers") or {})
        body = event.get("body", {})
        check_json_value(body, "body")
        nonce = event.get("nonce")
        if nonce is not None and (
            not isinstance(nonce, str) or not 0 < len(nonce) <= MAX_NONCE_LENGTH
        ):
            raise InvalidRequestError(f"nonce must be a string of 1-{MAX_NONCE_LENGTH} characters")
        task_id = event.get("task_id")
        if task_id is not None and (not isinstance(task_id, str) or not task_id):
            raise InvalidRequestError("task_id must be a non-empty string")
        scheduled_time = event.get("scheduled_time")
        if scheduled_time is not None and not isinstance(scheduled_time, str):
            raise InvalidRequestError("scheduled_time must be a string")
        timeout = event.get("timeout_seconds")
        if timeout is not None and (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not 0 < timeout <= MAX_TIMEOUT_SECONDS
        ):
            raise InvalidRequestError(
                f"timeout_seconds must be a number in (0, {MAX_TIMEOUT_SECONDS:g}]"
            )
        return cls(
            target_url=target_url,
            method=method.upper(),
            headers=headers,
            body=body,
            task_id=task_id,
            scheduled_time=scheduled_time,
            timeout_seconds=float(timeout) if timeout is not None else None,
            nonce=nonce,
        )

    def to_event(self) -> dict[str, Any]:
        """Return the JSON-ready event; optional keys appear only when set."""
        event: dict[str, Any] = {
            "target_url": self.target_url,
            "method": self.method,
            "headers": dict(self.headers),
            "body": self.body,
        }
        if self.task_id is not None:
            event["task_id"] = self.task_id
        if self.scheduled_time is not None:
            event["scheduled_time"] = self.scheduled_time
        if self.timeout_seconds is not None:
            event["timeout_seconds"] = self.timeout_seconds
        if self.nonce is not None:
            event["nonce"] = self.nonce
        return event

    @property
    def host(self) -> str:
        """Lower-case host name of the target (no port)."""
        return parse_target_url(self.target_url).host


def check_json_value(value: Any, where: str, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse a JSON value that cannot be sent as UTF-8 JSON exactly as given.

    Parameters
    ----------
    value
        A decoded JSON value (dicts, lists, strings, numbers, booleans, None).
    where
        The field name used in the message (``body``, ``data``).
    max_depth
        Deepest nesting of objects and arrays allowed.

    Raises
    ------
    InvalidRequestError
        A lone surrogate in a string or key, nesting deeper than ``max_depth``, a
        non-finite number, or a value that is not JSON.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= max_depth:
                raise InvalidRequestError(f"{where} is nested deeper than {max_depth} levels")
            children = list(item.items()) if isinstance(item, dict) else list(enumerate(item))
            for key, child in children:
                if isinstance(item, dict) and not isinstance(key, str):
                    raise InvalidRequestError(f"{where} has a key that is not a string")
                if isinstance(key, str):
                    _check_text(key, where)
                stack.append((child, depth + 1))
        elif isinstance(item, str):
            _check_text(item, where)
        elif isinstance(item, float) and not math.isfinite(item):
            raise InvalidRequestError(f"{where} has a number that is not finite")
        elif item is not None and not isinstance(item, bool | int | float):
            raise InvalidRequestError(f"{where} is not a JSON value")


def _check_text(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequestError(
            f"{where} has a string with a lone surrogate (not valid Unicode)"
        ) from None
