"""The API_CALL_LAMBDA event: the seed's shape plus documented optional keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from shared.environment import LAMBDA_MAX_TIMEOUT_SECONDS as MAX_TIMEOUT_SECONDS
from shared.exceptions import InvalidRequestError

ALLOWED_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})

# EventBridge Scheduler replaces this placeholder with the tick's time (ISO 8601, UTC) in a
# schedule's Input; a recurring task's webhook-id is derived from it so that retries of one
# tick share an id while every tick gets its own.
SCHEDULED_TIME_PLACEHOLDER = "<aws.scheduler.scheduled-time>"


@dataclass(frozen=True)
class ApiCallRequest:
    """One deferred HTTP call, exactly as a schedule's ``Target.Input`` carries it.

    Keys: ``target_url`` (required), ``method`` (default ``POST``), ``headers`` (default
    ``{}``), ``body`` (default ``{}``, any JSON value), and the optional ``task_id`` (id of
    the task; the ``webhook-id`` derives from it), ``scheduled_time`` (the tick of a recurring
    task) and ``timeout_seconds`` (per-call HTTP timeout). Unknown keys are ignored.
    """

    target_url: str
    method: str = "POST"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = field(default_factory=dict)
    task_id: str | None = None
    scheduled_time: str | None = None
    timeout_seconds: float | None = None

    @classmethod
    def from_event(cls, event: Any) -> ApiCallRequest:
        """Parse and validate an event; raise ``InvalidRequestError`` naming the bad key."""
        if not isinstance(event, Mapping):
            raise InvalidRequestError("event must be a JSON object")
        target_url = event.get("target_url")
        if not isinstance(target_url, str) or not target_url:
            raise InvalidRequestError("target_url is required and must be a string")
        parts = urlsplit(target_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidRequestError("target_url must be an absolute http(s) URL")
        method = event.get("method", "POST")
        if not isinstance(method, str) or method.upper() not in ALLOWED_METHODS:
            raise InvalidRequestError(f"method must be one of {sorted(ALLOWED_METHODS)}")
        headers = event.get("headers") or {}
        if not isinstance(headers, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise InvalidRequestError("headers must be an object of string values")
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
            headers=dict(headers),
            body=event.get("body", {}),
            task_id=task_id,
            scheduled_time=scheduled_time,
            timeout_seconds=float(timeout) if timeout is not None else None,
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
        return event

    @property
    def host(self) -> str:
        """Lower-case host name of the target (no port)."""
        return (urlsplit(self.target_url).hostname or "").lower()
