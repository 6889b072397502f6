"""Slack alerts for the batch worker (incoming webhook, ``slack_sdk`` async client).

Alerting never raises: a broken webhook is logged and the worker carries on. With no
``SLACK_WEBHOOK_URL`` every alert is only logged. Redis-down alerts are rate-limited.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime

from slack_sdk.webhook.async_client import AsyncWebhookClient

log = logging.getLogger("worker.alerts")


def trim_trace(trace: str, limit: int) -> str:
    """Keep the last ``limit`` characters of a stack trace (the end names the error)."""
    if len(trace) <= limit:
        return trace
    return f"...({len(trace) - limit} characters trimmed)\n{trace[-limit:]}"


class Alerter:
    """Sends alerts to one Slack incoming webhook, or only logs them when there is none."""

    def __init__(
        self,
        webhook_url: str | None,
        *,
        stack_trace_limit: int = 2000,
        redis_alert_interval_seconds: float = 300.0,
        timeout_seconds: int = 5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = (
            AsyncWebhookClient(webhook_url, timeout=timeout_seconds) if webhook_url else None
        )
        self.stack_trace_limit = stack_trace_limit
        self.redis_alert_interval = redis_alert_interval_seconds
        self._clock = clock
        self._last_redis_alert: float | None = None
        self.sent = 0

    async def send(self, title: str, fields: Mapping[str, str], detail: str = "") -> bool:
        """Post one alert; return True when Slack accepted it. Never raises."""
        log.warning("alert: %s", title, extra={"alert": title, "alert_fields": dict(fields)})
        if self._client is None:
            return False
        lines = "\n".join(f"*{key}*: {value}" for key, value in fields.items())
        blocks: list[dict[str, object]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*\n{lines}"}}
        ]
        if detail:
            blocks.append(
                {"type": "section", "text": {"type": "mrkdwn", "text": f"```{detail}```"}}
            )
        try:
            response = await self._client.send(text=f"{title}\n{lines}", blocks=blocks)
        except Exception as exc:
            log.error("alert not delivered", extra={"alert": title, "error": repr(exc)})
            return False
        if response.status_code != 200:
            log.error(
                "alert refused",
                extra={"alert": title, "status": response.status_code, "body": response.body},
            )
            return False
        self.sent += 1
        return True

    async def job_failed(self, job_id: str, fire_time: datetime, trace: str) -> bool:
        """A job raised; ``trace`` is trimmed to ``stack_trace_limit`` characters."""
        last_line = trace.strip().splitlines()[-1] if trace.strip() else "unknown error"
        return await self.send(
            f"[batch] job failed: {job_id}",
            {"job": job_id, "tick": fire_time.isoformat(), "error": last_line},
            trim_trace(trace, self.stack_trace_limit),
        )

    async def job_slow(
        self, job_id: str, fire_time: datetime, elapsed: float, budget: float
    ) -> bool:
        """A run has taken longer than its time budget (it may still be running)."""
        return await self.send(
            f"[batch] job over its time budget: {job_id}",
            {
                "job": job_id,
                "tick": fire_time.isoformat(),
                "elapsed": f"{elapsed:.1f}s",
                "budget": f"{budget:.1f}s",
            },
        )

    async def redis_down(self, error: str) -> bool:
        """Redis is unreachable; at most one alert per ``redis_alert_interval``."""
        now = self._clock()
        last = self._last_redis_alert
        if last is not None and now - last < self.redis_alert_interval:
            return False
        self._last_redis_alert = now
        return await self.send(
            "[batch] Redis unreachable: ticks are skipped until it returns", {"error": error}
        )
