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


class Slot:
    """One reserved thread of a ``SyncPool``: used by ``submit`` or given back by ``free``."""

    def __init__(self, pool: SyncPool) -> None:
        self._pool = pool
        self._open = True

    def submit(self, func: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any]:
        """Run ``func`` in this slot; the slot is freed when the thread really ends."""
        self._open = False
        future = self._pool.executor.submit(func, *args)
        future.add_done_callback(lambda _: self._pool.give_back())
        return future

    def free(self) -> None:
        """Give the slot back if it was never used (the tick was not run); else nothing."""
        if self._open:
            self._open = False
            self._pool.give_back()


class SyncPool:
    """``size`` worker threads; slots are reserved from the event loop before a claim."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.executor = concurrent.futures.ThreadPoolExecutor(size, thread_name_prefix="batch-sync")
        self._mutex = threading.Lock()
        self._taken = 0  # reserved slots: reserved ticks plus running threads

    @property
    def busy(self) -> int:
        """Slots taken (threads running plus reservations)."""
        return self._taken

    def reserve(self) -> Slot | None:
        """Take a slot for one run; None when every slot is taken."""
        with self._mutex:
            if self._taken >= self.size:
                return None
            self._taken += 1
            return Slot(self)

    def give_back(self) -> None:
        """Return one slot (a thread ended, or a reservation went unused)."""
        with self._mutex:
            self._taken -= 1

    def shutdown(self) -> None:
        """Stop accepting work; running threads are not waited for (they cannot be stopped)."""
        self.executor.shutdown(wait=False, cancel_futures=True)
