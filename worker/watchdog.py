"""Loop-lag watchdog: a thread notices when the event loop stops turning, and says why.

A job that blocks the loop (``time.sleep`` in an ``async def`` job, a CPU-bound loop) stops
every other job, the heartbeat and the lock keepers. The loop bumps a timestamp every
``tick`` seconds; a daemon thread checks it, and when it is older than
``BATCH_LOOP_LAG_ALERT_SECONDS`` it logs an error and posts one alert per blocked spell
(naming the async jobs on the loop at the time) with the synchronous ``slack_sdk`` client,
since the async one needs the very loop that is stuck. When the loop turns again it logs how
long the block lasted. The alert is per replica: a blocked loop is this replica's incident.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping

from slack_sdk.webhook import WebhookClient

log = logging.getLogger("worker.watchdog")


class LoopWatchdog:
    """Start with ``start()`` inside the loop; ``stop()`` ends both the beat and the thread."""

    def __init__(
        self,
        threshold_seconds: float,
        *,
        webhook_url: str | None,
        replica: str,
        running: Callable[[], Mapping[str, str]],
        tick_seconds: float = 0.25,
    ) -> None:
        self.threshold = threshold_seconds
        self.tick = min(tick_seconds, threshold_seconds / 4)
        self.replica = replica
        self._running = running
        self._client = WebhookClient(webhook_url, timeout=5) if webhook_url else None
        self._last = time.monotonic()
        self._stop = threading.Event()
        self._beat: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._watch, name="batch-watchdog", daemon=True)
        self.alerts = 0

    def start(self) -> None:
        """Begin beating on the running loop and watching from a thread."""
        self._last = time.monotonic()
        self._beat = asyncio.get_running_loop().create_task(self._beat_forever())
        self._thread.start()

    async def stop(self) -> None:
        """Stop watching."""
        self._stop.set()
        if self._beat is not None:
            self._beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beat

    async def _beat_forever(self) -> None:
        while True:
            self._last = time.monotonic()
            await asyncio.sleep(self.tick)

    def _watch(self) -> None:
        blocked_since: float | None = None
        while not self._stop.wait(self.tick):
            lag = time.monotonic() - self._last
            if lag > self.threshold and blocked_since is None:
                blocked_since = self._last
                self._alert(lag)
            elif lag <= self.tick * 2 and blocked_since is not None:
                log.warning(
                    "event loop turning again",
                    extra={
                        "replica": self.replica,
                        "blocked_seconds": round(self._last - blocked_since, 3),
                    },
                )
                blocked_since = None

    def _alert(self, lag: float) -> None:
        jobs = ", ".join(f"{job} (tick {tick})" for job, tick in dict(self._running()).items())
        title = f"[batch] event loop blocked on replica {self.replica}: no tick can start"
        fields = {
            "replica": self.replica,
            "blocked_for": f"{lag:.1f}s",
            "threshold": f"{self.threshold:.1f}s",
            "async_jobs_on_the_loop": jobs or "none",
        }
        log.error("alert: %s", title, extra={"alert": title, "alert_fields": fields})
        self.alerts += 1
        if self._client is None:
            return
        lines = "\n".join(f"*{key}*: {value}" for key, value in fields.items())
        try:
            self._client.send(text=f"{title}\n{lines}")
        except Exception as exc:
            log.error("alert not delivered", extra={"alert": title, "error": repr(exc)})
