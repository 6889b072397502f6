"""A bounded thread pool of its own for plain (sync) jobs, with a slot taken before the claim.

``asyncio.to_thread`` shares the loop's default pool: two hung jobs could fill it and every
later sync tick would wait there, logged ``ran`` but started late. Here a tick first reserves
a slot; when none is free the tick is skipped (``skipped:pool_full``) *before* it is claimed,
so another replica with a free slot can still run it.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any


class SyncPool:
    """``size`` worker threads; ``reserve`` / ``submit`` / ``unreserve`` from the event loop."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pool = concurrent.futures.ThreadPoolExecutor(size, thread_name_prefix="batch-sync")
        self._mutex = threading.Lock()
        self._taken = 0  # reserved slots: reserved ticks plus running threads

    @property
    def busy(self) -> int:
        """Slots taken (threads running plus reservations)."""
        return self._taken

    def reserve(self) -> bool:
        """Take a slot for one run; False when every slot is taken."""
        with self._mutex:
            if self._taken >= self.size:
                return False
            self._taken += 1
            return True

    def unreserve(self) -> None:
        """Give back a slot that was reserved but not used (the tick was not run)."""
        with self._mutex:
            self._taken -= 1

    def submit(self, func: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any]:
        """Run ``func`` in a reserved slot; the slot is freed when the thread really ends."""
        future = self._pool.submit(func, *args)
        future.add_done_callback(lambda _: self.unreserve())
        return future

    def shutdown(self) -> None:
        """Stop accepting work; running threads are not waited for (they cannot be stopped)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
