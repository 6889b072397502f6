"""Secrets read at run time: a literal value from the environment or a Secrets Manager ARN.

Nothing here imports boto3 at import time: the client is built lazily, only when an ARN has
to be read, so the delivery path's cold start does not pay for it. Values fetched from
Secrets Manager are cached per container for a short time (``ttl_seconds``) so a rotated
secret is picked up within minutes without a call on every delivery. When a refresh after
the TTL fails, the last good value is served for at most ``MAX_STALE_SECONDS`` more (a
Secrets Manager blip does not turn every request into a 503 or every delivery into a retry),
and only one refresh per secret runs at a time: while it runs, other threads get the last
good value. Secret values are never logged and never appear in an exception message.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from shared.environment import split_list
from shared.exceptions import BackendUnavailableError, ConfigurationError

DEFAULT_TTL_SECONDS = 300.0
# a failed refresh serves the last good value this much longer (15 minutes), then fails
MAX_STALE_SECONDS = 15 * 60.0

_lock = threading.Lock()
_cache: dict[str, tuple[float, str]] = {}  # arn -> (fresh until, value)
_refreshing: dict[str, threading.Lock] = {}
_clients: dict[str, Any] = {}
logger = logging.getLogger("shared.secrets")


def region_of_arn(arn: str, default: str) -> str:
    """Return the region named in an ARN (``arn:aws:service:REGION:...``), else ``default``."""
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else default


def _default_client(region: str) -> Any:
    client = _clients.get(region)
    if client is None:
        import boto3  # lazy on purpose: only when an ARN must be read
        from botocore.config import Config

        # Worst case 2 x (1 + 2) s + one back-off (<= 6 s) = 12 s, so the API's request path
        # (one read + one scheduler call) fits its Timeout (tests/template/test_timeouts.py).
        config = Config(
            connect_timeout=1,
            read_timeout=2,
            retries={"mode": "standard", "total_max_attempts": 2},
        )
        client = boto3.client("secretsmanager", region_name=region, config=config)
        _clients[region] = client
    return client


def fetch_secret_string(
    arn: str,
    *,
    region: str,
    ttl_seconds: float = DEFAULT_TTL_SECONDS,
    client: Any = None,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Return the SecretString of ``arn``, cached for ``ttl_seconds`` per container.

    Parameters
    ----------
    arn
        ARN (or name) of the secret in Secrets Manager.
    region
        Region used when the ARN does not name one.
    ttl_seconds
        How long a fetched value is reused before it is read again.
    client
        A boto3 ``secretsmanager`` client; built lazily (and reused) when omitted.
    clock
        Monotonic clock, injectable for tests.

    Returns
    -------
    str
        The secret string.

    Raises
    ------
    BackendUnavailableError
        Secrets Manager could not be read and no value read in the last
        ``ttl_seconds + MAX_STALE_SECONDS`` is available (the message names the ARN, never
        a value).
    ConfigurationError
        The secret has no SecretString (binary secrets are not supported).
    """
    now = clock()
    with _lock:
        hit = _cache.get(arn)
        refresh = _refreshing.setdefault(arn, threading.Lock())
    if hit is not None and hit[0] > now:
        return hit[1]
    usable = hit is not None and now < hit[0] + MAX_STALE_SECONDS
    if not refresh.acquire(blocking=not usable):
        assert hit is not None
        return hit[1]  # another thread is refreshing: serve the last good value meanwhile
    try:
        with _lock:
            latest = _cache.get(arn)
        if latest is not None and latest[0] > now:  # refreshed while we waited
            return latest[1]
        try:
            value = _read(arn, region, client)
        except BackendUnavailableError:
            if usable and hit is not None:
                logger.warning("secret %s could not be refreshed; serving the last good value", arn)
                return hit[1]
            raise
        with _lock:
            _cache[arn] = (clock() + ttl_seconds, value)
        return value
    finally:
        refresh.release()


def _read(arn: str, region: str, client: Any) -> str:
    sm = client if client is not None else _default_client(region_of_arn(arn, region))
    try:
        response = sm.get_secret_value(SecretId=arn)
    except Exception as exc:  # boto's errors are not imported here on purpose
        raise BackendUnavailableError(
            f"cannot read secret {arn}: {type(exc).__name__}", details={"secret_arn": arn}
        ) from exc
    value = response.get("SecretString")
    if not isinstance(value, str):
        raise ConfigurationError(f"secret {arn} has no SecretString")
    return value


def resolve_secret_list(
    literal: Sequence[str] | None,
    arn: str | None,
    *,
    region: str,
    ttl_seconds: float = DEFAULT_TTL_SECONDS,
    client: Any = None,
) -> tuple[str, ...]:
    """Return the secrets to use now: those in the ARN's SecretString if an ARN is set.

    Parameters
    ----------
    literal
        Secrets given directly in the environment (used when ``arn`` is not set).
    arn
        Secrets Manager ARN whose SecretString holds one or more secrets separated by
        commas or whitespace; when set it wins over ``literal``.
    region, ttl_seconds, client
        See ``fetch_secret_string``.

    Returns
    -------
    tuple[str, ...]
        The secrets, newest first; empty when none is configured.
    """
    if arn:
        raw = fetch_secret_string(arn, region=region, ttl_seconds=ttl_seconds, client=client)
        return split_list(raw)
    return tuple(literal or ())


def resolve_secret(
    literal: str | None,
    arn: str | None,
    *,
    region: str,
    ttl_seconds: float = DEFAULT_TTL_SECONDS,
    client: Any = None,
) -> str | None:
    """Return one secret (e.g. a bearer token): the ARN's SecretString, else ``literal``.

    Parameters
    ----------
    literal
        The value from the environment, or ``None``.
    arn
        Secrets Manager ARN; when set it wins over ``literal``. Surrounding whitespace is
        stripped from the SecretString.
    region, ttl_seconds, client
        See ``fetch_secret_string``.

    Returns
    -------
    str or None
        The secret, or ``None`` when neither is configured.
    """
    if arn:
        raw = fetch_secret_string(arn, region=region, ttl_seconds=ttl_seconds, client=client)
        return raw.strip() or None
    return literal or None


def clear_secret_cache() -> None:
    """Forget cached secret values and clients (tests; or to force a re-read)."""
    with _lock:
        _cache.clear()
        _clients.clear()
        _refreshing.clear()
