"""THE delivery core: allow-list, sign, send with a pooled client, classify the outcome.

``deliver`` is called by API_CALL_LAMBDA and by the local scheduling engine alike. It
returns a ``DeliveryResult`` for a 2xx and otherwise raises: ``RetryableDeliveryError`` for
408/429/5xx/timeouts/connection errors (and for a missing or unreadable secret, which an
operator can fix before the retries run out), ``PermanentDeliveryError`` for any other
status (3xx are not followed: a redirect could lead off the allow-list) and for a target
that is not allowed (refused before any network traffic).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import urllib3
from urllib3.exceptions import HTTPError, LocationValueError

from shared.delivery.allowlist import host_of, is_host_allowed
from shared.delivery.config import DeliveryConfig
from shared.delivery.event import ApiCallRequest
from shared.delivery.logs import loggable_url, logger, redact_headers
from shared.delivery.signing import SIGNATURE_HEADERS, sign_headers, webhook_id_for
from shared.exceptions import (
    BackendUnavailableError,
    ConfigurationError,
    PermanentDeliveryError,
    RetryableDeliveryError,
)

MAX_ERROR_BODY_BYTES = 1024
MAX_READ_BYTES = 64 * 1024
RETRYABLE_STATUSES = frozenset({408, 429})
# Headers an event may not set: we compute them, or they would confuse the request.
_RESERVED = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "authorization"}
)

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


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """Parse a ``Retry-After`` header (delta seconds or an HTTP date) into seconds >= 0."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def trim_body(data: bytes, limit: int = MAX_ERROR_BODY_BYTES) -> str:
    """Return at most ``limit`` bytes of a response body as text (invalid UTF-8 replaced)."""
    return data[:limit].decode("utf-8", errors="replace")


def build_headers(call: ApiCallRequest, payload: bytes, config: DeliveryConfig) -> dict[str, str]:
    """Return the outgoing headers: the event's, Content-Type, the signature and the token."""
    headers = {
        name: value
        for name, value in call.headers.items()
        if name.lower() not in _RESERVED and name.lower() not in SIGNATURE_HEADERS
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
    target = {"method": call.method, "url": loggable_url(call.target_url)}
    if not is_host_allowed(call.target_url, config):
        logger.warning("target not allowed", extra={**log, **target})
        raise PermanentDeliveryError(
            f"target host {host_of(call.target_url)!r} is not on the allow-list",
            details={"reason": "target_not_allowed", "host": host_of(call.target_url)},
        )
    payload = encode_body(call)
    headers = build_headers(call, payload, config)
    timeout = call.timeout_seconds or config.delivery_timeout_seconds
    logger.info("delivering", extra={**log, **target, "headers": redact_headers(headers)})
    started = time.perf_counter()
    try:
        response = (http or http_pool).request(
            call.method,
            call.target_url,
            body=payload or None,
            headers=headers,
            timeout=urllib3.Timeout(total=timeout),
            retries=False,
            redirect=False,
            preload_content=False,
        )
    except LocationValueError as exc:
        raise PermanentDeliveryError(f"invalid target URL: {type(exc).__name__}") from exc
    except (HTTPError, OSError) as exc:
        elapsed = time.perf_counter() - started
        logger.warning(
            "delivery failed, retryable",
            extra={**log, **target, "error": type(exc).__name__, "elapsed_seconds": elapsed},
        )
        raise RetryableDeliveryError(
            f"{call.method} {loggable_url(call.target_url)} failed: {type(exc).__name__}",
            details={"reason": type(exc).__name__},
        ) from exc
    return _classify(response, call, webhook_id, time.perf_counter() - started, log, target)


def _read_limited(response: Any) -> bytes:
    try:
        data: bytes = response.read(MAX_READ_BYTES + 1)
    except (HTTPError, OSError):
        data = b""
    if len(data) > MAX_READ_BYTES:
        response.close()  # do not drain a huge body; the connection is not reused
    response.release_conn()
    return data


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
        )
    logger.warning("delivery failed, permanent", extra=outcome)
    raise PermanentDeliveryError(
        f"{call.method} {loggable_url(call.target_url)} answered {status}",
        status=status,
        response_body=body,
    )
