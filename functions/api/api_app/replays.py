"""Remember the ``webhook-id`` of verified callbacks so a replay is not processed twice.

Standard Webhooks receivers de-duplicate by ``webhook-id`` within the signature tolerance:
a signed request is accepted only while its timestamp is within 5 minutes of our clock (in
either direction), so an id needs remembering for 10 minutes at most. The memory is per
process (per Lambda container, per uvicorn worker) and bounded.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

TOLERANCE_SECONDS = 5 * 60
REMEMBER_SECONDS = 2 * TOLERANCE_SECONDS
MAX_REMEMBERED = 100_000


class ReplayGuard:
    """``first_time(id)`` is true once per id within ``remember_seconds``."""

    def __init__(
        self,
        remember_seconds: float = REMEMBER_SECONDS,
        max_entries: int = MAX_REMEMBERED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._remember = remember_seconds
        self._max = max_entries
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()  # id -> forget at (increasing)
        self._lock = threading.Lock()

    def first_time(self, webhook_id: str) -> bool:
        """Record ``webhook_id``; return False when it was seen within the window."""
        now = self._clock()
        with self._lock:
            while self._seen and next(iter(self._seen.values())) <= now:
                self._seen.popitem(last=False)
            if webhook_id in self._seen:
                return False
            if len(self._seen) >= self._max:
                self._seen.popitem(last=False)
            self._seen[webhook_id] = now + self._remember
            return True
