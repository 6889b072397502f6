"""THE delivery core: allow-list, sign, send with a pooled client, classify the outcome.

``deliver`` is called by API_CALL_LAMBDA and by the local scheduling engine alike. It
returns a ``DeliveryResult`` for a 2xx and otherwise raises: ``RetryableDeliveryError`` for
408/429/5xx/timeouts/connection errors (and for a missing or unreadable secret, which an
operator can fix before the retries run out), ``PermanentDeliveryError`` for any other
status (3xx are not followed: a redirect could lead off the allow-list) and for a call
that must not be sent: a target that is not allowed or an ambiguous URL, a header that is
not sendable, a body that is not valid UTF-8 JSON (all refused before any network traffic).
The URL is parsed once (``shared.delivery.urls``) and the normalised URL is what is sent.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import urllib3
from urllib3.exceptions import HTTPError, InvalidHeader, LocationValueError
from urllib3.util.retry import Retry

from shared.delivery.allowlist import allowed_host_patterns, target_allowed
from shared.delivery.config import DeliveryConfig
from shared.delivery.event import ApiCallRequest, check_json_value
from shared.delivery.headers import COMPUTED_HEADERS, check_headers
from shared.delivery.logs import loggable_url, logger, redact_headers
from shared.delivery.signing import sign_headers, webhook_id_for
from shared.delivery.urls import TargetUrl, parse_target_url
from shared.exceptions import (
    BackendUnavailableError,
    ConfigurationError,
    InvalidRequestError,
    PermanentDeliveryError,
    RetryableDeliveryError,
)

MAX_ERROR_BODY_BYTES = 1024
MAX_READ_BYTES = 64 * 1024
RETRYABLE_STATUSES = frozenset({408, 429})
# A Retry-After longer than this is read as this (a target cannot park a delivery for days).
MAX_RETRY_AFTER_SECONDS = 300.0
_RETRY_AFTER = Retry(total=False)

http_pool = urllib3.PoolManager(num_pools=8, maxsize=4, retries=False)


@dataclass(frozen=True)
class DeliveryResult:
    """A delivered call: the target answered 2xx."""

    status: int
    webhook_id: str
    elapsed_seconds: float
    response_body: str = ""


def encode_body(call: ApiCallRequest) -> bytes:
    """Return the JSON body bytes of ``call`` (empty for GET or a ``null`` body)."""
    if call.method == "GET" or call.body is None:
        return b""
    return json.dumps(call.body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def retry_after_seconds(value: str | None) -> float | None:
    """Parse a ``Retry-After`` header with urllib3 into seconds in [0, 300].

    Delta seconds must be a non-negative integer and an HTTP date is counted from now (a
    past date is 0), exactly as urllib3 reads them; anything else (``inf``, ``nan``,
    ``1e9``, ``-5``, garbage) is ``None`` (no hint). Values are capped at
    ``MAX_RETRY_AFTER_SECONDS``.
    """
    if not value or not value.strip():
        return None
    try:
        seconds = _RETRY_AFTER.parse_retry_after(value.strip())
    except (InvalidHeader, ValueError, OverflowError):
        return None
    return min(max(0.0, float(seconds)), MAX_RETRY_AFTER_SECONDS)


def trim_body(data: bytes, limit: int = MAX_ERROR_BODY_BYTES) -> str:
    """Return at most ``limit`` bytes of a response body as text (invalid UTF-8 replaced)."""
    return data[:limit].decode("utf-8", errors="replace")


def build_headers(call: ApiCallRequest, payload: bytes, config: DeliveryConfig) -> dict[str, str]:
    """Return the outgoing headers: the event's, Content-Type, the signature and the token."""
    headers = {
        name: value for name, value in call.headers.items() if name.lower() not in COMPUTED_HEADERS
    }
    if payload and not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = "application/json"
    headers.setdefault("User-Agent", "callback-scheduler/0.1")
    try:
        secrets = config.current_signing_secrets()
        headers.update(sign_headers(webhook_id_for(call), payload, secrets))
        token = config.current_bearer_token()
    except (ConfigurationError, BackendUnavailableError) as exc:
        raise RetryableDeliveryError(
            f"cannot sign the call: {exc.message}", details={"reason": exc.code}
        ) from exc
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def deliver(
    call: ApiCallRequest,
    *,
    config: DeliveryConfig,
    http: urllib3.PoolManager | None = None,
) -> DeliveryResult:
    """Perform one delivery attempt of ``call`` and classify its outcome.

    Parameters
    ----------
    call
        The call (from ``ApiCallRequest.from_event``).
    config
        Allow-list, secrets, timeout.
    http
        Pooled client; the module's ``http_pool`` when omitted.

    Returns
    -------
    DeliveryResult
        The target answered 2xx.

    Raises
    ------
    PermanentDeliveryError
        Host not allowed (no request made; ``details["reason"] == "target_not_allowed"``),
        or a status other than 2xx/408/429/5xx (``status``, ``response_body`` trimmed to
        1 KiB).
    RetryableDeliveryError
        408/429/5xx (``status``, ``retry_after_seconds`` from ``Retry-After``), timeout,
        connection error, or secrets that cannot be read.
    """
    webhook_id = webhook_id_for(call)
    log = {"correlation_id": call.task_id or webhook_id, "webhook_id": webhook_id}
    parsed = _sendable(call, log)
    url = parsed.url
    target = {"method": call.method, "url": loggable_url(url)}
    patterns = allowed_host_patterns(config.api_base_url, config.allowed_target_hosts)
    if not target_allowed(parsed, patterns):
        logger.warning("target not allowed", extra={**log, **target})
        raise PermanentDeliveryError(
            f"target host {parsed.host!r} is not on the allow-list",
            details={"reason": "target_not_allowed", "host": parsed.host},
        )
    payload = encode_body(call)
    headers = build_headers(call, payload, config)
    timeout = call.timeout_seconds or config.delivery_timeout_seconds
    logger.info("delivering", extra={**log, **target, "headers": redact_headers(headers)})
    started = time.perf_counter()
    try:
        response = (http or http_pool).request(
            call.method,
            url,
            body=payload or None,
            headers=headers,
            timeout=urllib3.Timeout(total=timeout),
            retries=False,
            redirect=False,
            preload_content=False,
        )
    except LocationValueError as exc:
        raise PermanentDeliveryError(
            f"invalid target URL: {type(exc).__name__}", details={"reason": "invalid_request"}
        ) from exc
    except (HTTPError, OSError) as exc:
        raise transport_failure(exc, started, log, target) from exc
    return _classify(response, call, webhook_id, time.perf_counter() - started, log, target)


def _sendable(call: ApiCallRequest, log: dict[str, Any]) -> TargetUrl:
    """Return the parsed target; a call that cannot be sent as given is permanent."""
    try:
        parsed = parse_target_url(call.target_url)
        check_headers(call.headers)
        check_json_value(call.body, "body")
    except InvalidRequestError as exc:
        logger.warning("call cannot be sent", extra={**log, "error": exc.message})
        raise PermanentDeliveryError(
            f"the call cannot be sent: {exc.message}", details={"reason": "invalid_request"}
        ) from exc
    return parsed


def _read_limited(response: Any) -> bytes:
    try:
        data: bytes = response.read(MAX_READ_BYTES + 1)
    except (HTTPError, OSError):
        data = b""
    if len(data) > MAX_READ_BYTES:
        response.close()  # do not drain a huge body; the connection is not reused
    response.release_conn()
    return data


def transport_failure(
    exc: BaseException, started: float, log: dict[str, Any], target: dict[str, Any]
) -> RetryableDeliveryError:
    """Log a call that got no answer (connection, timeout) and return its retryable error.

    Parameters
    ----------
    exc
        What the HTTP client raised.
    started
        ``time.perf_counter()`` when the call started.
    log, target
        The delivery's log fields and its ``{"method", "url"}`` (URL already loggable).

    Returns
    -------
    RetryableDeliveryError
        To raise: timeouts and connection errors are retried, by every transport alike.
    """
    elapsed = time.perf_counter() - started
    reason = type(exc).__name__
    logger.warning(
        "delivery failed, retryable",
        extra={**log, **target, "error": reason, "elapsed_seconds": elapsed},
    )
    return RetryableDeliveryError(
        f"{target['method']} {target['url']} failed: {reason}", details={"reason": reason}
    )


def _classify(
    response: Any,
    call: ApiCallRequest,
    webhook_id: str,
    elapsed: float,
    log: dict[str, Any],
    target: dict[str, Any],
) -> DeliveryResult:
    status = int(response.status)
    body = trim_body(_read_limited(response))
    outcome = {**log, **target, "status": status, "elapsed_seconds": round(elapsed, 4)}
    if 200 <= status < 300:
        logger.info("delivered", extra=outcome)
        return DeliveryResult(status, webhook_id, elapsed, body)
    if status in RETRYABLE_STATUSES or status >= 500:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        logger.warning("delivery failed, retryable", extra={**outcome, "retry_after": wait})
        raise RetryableDeliveryError(
            f"{call.method} {loggable_url(call.target_url)} answered {status}",
            status=status,
            retry_after_seconds=wait,
            response_body=body,
        )
    logger.warning("delivery failed, permanent", extra=outcome)
    raise PermanentDeliveryError(
        f"{call.method} {loggable_url(call.target_url)} answered {status}",
        status=status,
        response_body=body,
    )
