"""Call the scheduling port without ever blocking the event loop on network I/O."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

Result = TypeVar("Result")


async def call_backend(
    backend: object, method: Callable[..., Result], *args: Any, **kwargs: Any
) -> Result:
    """Run ``method`` inline when ``backend`` declares ``nonblocking``, else in the thread pool.

    boto3 (EventBridge) always goes to the thread pool; the local adapter's SQLite calls are
    cheaper than the thread hop, so they run inline.
    """
    if getattr(backend, "nonblocking", False) is True:
        return method(*args, **kwargs)
    return await run_in_threadpool(method, *args, **kwargs)
