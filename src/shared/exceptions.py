"""Domain errors of the shared package.

A small hierarchy with a stable machine-readable ``code`` per class. HTTP status mapping
happens once, in the API's error handlers; nothing matches on message text. This module
imports only the standard library so the delivery path can use it on a cold start.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class CallbackSchedulerError(Exception):
    """Base of every domain error; ``code`` is machine-readable and stable."""

    code: str = "internal_error"

    def __init__(self, message: str, *, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})


class ConfigurationError(CallbackSchedulerError):
    """A required setting is missing or invalid; raised at start-up."""

    code = "configuration_error"


class InvalidRequestError(CallbackSchedulerError):
    """The caller's input is invalid (bad field, bad expression, bad time zone...)."""

    code = "invalid_request"


class InvalidFieldError(InvalidRequestError):
    """A request field breaks a rule only known at run time (e.g. a configured maximum)."""

    code = "validation_error"


class ScheduleValidationError(InvalidRequestError):
    """A schedule expression, time or time zone that the scheduler would not accept."""

    code = "invalid_schedule"


class PayloadTooLargeError(InvalidRequestError):
    """The task's Input is larger than the scheduler accepts."""

    code = "payload_too_large"


class TargetNotAllowedError(InvalidRequestError):
    """The target host is not on the allow-list."""

    code = "target_not_allowed"


class AuthenticationError(CallbackSchedulerError):
    """Missing or wrong credentials (client token or webhook signature)."""

    code = "unauthorized"


class ForbiddenError(CallbackSchedulerError):
    """Authenticated, but not allowed to do this."""

    code = "forbidden"


class TaskNotFoundError(CallbackSchedulerError):
    """No task with that id exists (or it already ran and was deleted)."""

    code = "task_not_found"


class TaskConflictError(CallbackSchedulerError):
    """A task with that name exists already, or the task changed concurrently."""

    code = "task_conflict"


class ThrottledError(CallbackSchedulerError):
    """The scheduling backend throttled the request; try again later."""

    code = "throttled"


class BackendUnavailableError(CallbackSchedulerError):
    """The scheduling backend cannot be reached or failed unexpectedly."""

    code = "backend_unavailable"


class DeliveryError(CallbackSchedulerError):
    """Base of the delivery outcomes that are not a success."""

    code = "delivery_failed"


class RetryableDeliveryError(DeliveryError):
    """408/429/5xx/timeout/connection error: raise so the retry machinery takes over."""

    code = "delivery_retryable"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after_seconds: float | None = None,
        response_body: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.status = status
        self.retry_after_seconds = retry_after_seconds
        self.response_body = response_body  # trimmed to 1 KiB; recorded in the ledger


class PermanentDeliveryError(DeliveryError):
    """Any other 4xx, or a refused target: never retried, always dead-lettered."""

    code = "delivery_permanent"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        response_body: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.status = status
        self.response_body = response_body
