"""The delivery core on the engine's event loop: aiohttp carries the bytes, the core does the rest.

The allow-list check, the body, the signed headers and the classification of the answer are
the functions of ``shared.delivery.core`` that API_CALL_LAMBDA's ``deliver`` uses
(``is_host_allowed``, ``encode_body``, ``build_headers``, ``_classify``); only the transport
differs (one aiohttp session, thousands of calls in flight on one thread, instead of one
urllib3 call per thread). A test checks that both paths classify every status alike.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

import aiohttp

from shared.delivery import core
from shared.delivery.allowlist import host_of, is_host_allowed
from shared.delivery.config import DeliveryConfig
from shared.delivery.core import DeliveryResult
from shared.delivery.event import ApiCallRequest
from shared.delivery.logs import loggable_url, logger, redact_headers
from shared.delivery.signing import webhook_id_for
from shared.exceptions import PermanentDeliveryError


@runtime_checkable
class Sender(Protocol):
    """What the engine delivers through (``AsyncDelivery``, or a stand-in in tests)."""

    async def open(self) -> None:
        """Get ready on the running loop."""

    async def send(self, call: ApiCallRequest) -> DeliveryResult:
        """Perform one attempt; raise the core's delivery errors."""
        ...

    async def close(self) -> None:
        """Release connections."""


class ThreadedSender:
    """A plain ``call -> result`` function (a stand-in, or the core's ``deliver`` bound to a
    pool) run on the loop's worker threads: slower, but the engine takes either."""

    def __init__(self, deliver: Callable[[ApiCallRequest], Any]) -> None:
        self._deliver = deliver

    async def open(self) -> None:
        """Nothing to open."""

    async def send(self, call: ApiCallRequest) -> Any:
        """Run the function on a worker thread."""
        return await asyncio.to_thread(self._deliver, call)

    async def close(self) -> None:
        """Nothing to close."""


def as_sender(deliver: Sender | Callable[[ApiCallRequest], Any]) -> Sender:
    """Return ``deliver`` as the engine's ``Sender`` (a plain function runs on threads)."""
    return deliver if isinstance(deliver, Sender) else ThreadedSender(deliver)


class _ReadResponse:
    """An answer whose body was already read, in the shape the core's classifier reads."""

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self._body = body

    def read(self, amount: int) -> bytes:
        return self._body[:amount]

    def close(self) -> None:
        """Nothing to close: aiohttp released the connection."""

    def release_conn(self) -> None:
        """Nothing to release: aiohttp released the connection."""


async def _read_limited(response: aiohttp.ClientResponse) -> bytes:
    """Read at most ``MAX_READ_BYTES + 1`` bytes (a longer body closes the connection)."""
    data = b""
    try:
        while len(data) <= core.MAX_READ_BYTES:
            chunk = await response.content.read(core.MAX_READ_BYTES + 1 - len(data))
            if not chunk:
                break
            data += chunk
    except (aiohttp.ClientError, OSError, TimeoutError):
        return data
    return data


class AsyncDelivery:
    """One attempt of a call, as ``shared.delivery.core.deliver`` makes it, on asyncio.

    Parameters
    ----------
    config
        Allow-list, secrets and timeout (the same ``DeliveryConfig`` as the core's).
    """

    def __init__(self, config: DeliveryConfig) -> None:
        self.config = config
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        """Create the session on the running loop (no overall connection cap: the engine's
        per-target limits decide how many calls are in flight)."""
        connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=60)
        self._session = aiohttp.ClientSession(connector=connector, trust_env=False)

    async def close(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, call: ApiCallRequest) -> DeliveryResult:
        """Perform one attempt of ``call`` and classify it; raises as ``deliver`` does."""
        webhook_id = webhook_id_for(call)
        log = {"correlation_id": call.task_id or webhook_id, "webhook_id": webhook_id}
        target: dict[str, Any] = {"method": call.method, "url": loggable_url(call.target_url)}
        if not is_host_allowed(call.target_url, self.config):
            logger.warning("target not allowed", extra={**log, **target})
            raise PermanentDeliveryError(
                f"target host {host_of(call.target_url)!r} is not on the allow-list",
                details={"reason": "target_not_allowed", "host": host_of(call.target_url)},
            )
        payload = core.encode_body(call)
        headers = core.build_headers(call, payload, self.config)
        timeout = call.timeout_seconds or self.config.delivery_timeout_seconds
        logger.info("delivering", extra={**log, **target, "headers": redact_headers(headers)})
        assert self._session is not None, "AsyncDelivery.open() was not awaited"
        started = time.perf_counter()
        try:
            async with self._session.request(
                call.method,
                call.target_url,
                data=payload or None,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=timeout),
                allow_redirects=False,
            ) as response:
                body = await _read_limited(response)
                answer = _ReadResponse(response.status, response.headers, body)
        except aiohttp.InvalidURL as exc:
            raise PermanentDeliveryError(f"invalid target URL: {type(exc).__name__}") from exc
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise core.transport_failure(exc, started, log, target) from exc
        return core._classify(answer, call, webhook_id, time.perf_counter() - started, log, target)
