"""Slack alerts for the batch worker (incoming webhook, ``slack_sdk`` async client).

Alerting never raises: a broken webhook is logged and the worker carries on. With no
``SLACK_WEBHOOK_URL`` every alert is only logged. Incidents (Redis down, Redis restarted, a
full thread pool, a fast clock) are sent once per ``BATCH_REDIS_ALERT_INTERVAL_SECONDS``:
fleet-wide through a ``SET NX PX`` key in Redis when Redis answers, else per replica (a
fleet of N replicas then sends up to N alerts for one Redis outage: nothing shared is
reachable to agree on who sends it).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime

from redis.asyncio import Redis
from redis.exceptions import RedisError
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
        endpoint: str = "",
        redis: Redis | None = None,
        prefix: str = "",
    ) -> None:
        self._client = (
            AsyncWebhookClient(webhook_url, timeout=timeout_seconds) if webhook_url else None
        )
        self.stack_trace_limit = stack_trace_limit
        self.redis_alert_interval = redis_alert_interval_seconds
        self._clock = clock
        self._last: dict[str, float] = {}
        self.endpoint = endpoint  # Redis host:port (never the password)
        self.redis = redis  # for the fleet-wide dedupe key
        self.prefix = prefix
        self.sent = 0

    @staticmethod
    def reason(exc: BaseException) -> str:
        """``Type: message`` of a Redis error, with any ``user:password@`` in it removed."""
        return _CREDENTIALS.sub("://", f"{type(exc).__name__}: {exc}")

    async def incident(
        self, key: str, title: str, fields: Mapping[str, str], *, fleet: bool = True
    ) -> bool:
        """Alert once per interval per ``key``: fleet-wide via Redis when it answers."""
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self.redis_alert_interval:
            return False
        self._last[key] = now
        if fleet and self.redis is not None and self.redis_alert_interval > 0:
            try:
                first = await self.redis.set(
                    f"{self.prefix}alert:{key}",
                    "1",
                    nx=True,
                    px=int(self.redis_alert_interval * 1000),
                )
            except RedisError:
                first = True  # cannot agree with the fleet: alert from this replica
            if not first:
                log.info("alert already sent by another replica", extra={"alert": title})
                return False
        return await self.send(title, fields)

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

    async def redis_down(self, reason: str) -> bool:
        """Redis is unreachable: per replica (nothing shared to dedupe with), rate-limited."""
        return await self.incident(
            "redis_down",
            f"[batch] Redis unreachable at {self.endpoint}: ticks are skipped until it returns",
            {"endpoint": self.endpoint, "reason": reason},
            fleet=False,
        )

    async def redis_restarted(self, epoch_ms: str) -> bool:
        """Redis lost its memory (restart, failover, flush): ticks before epoch+skew skipped."""
        return await self.incident(
            f"redis_restarted:{epoch_ms}",
            f"[batch] Redis at {self.endpoint} restarted or lost its keys:"
            " ticks it cannot vouch for are skipped",
            {
                "endpoint": self.endpoint,
                "reason": "new run_id or no epoch key",
                "epoch_ms": epoch_ms,
            },
        )

    async def pool_full(self, replica: str, size: int, job_id: str, fire_time: datetime) -> bool:
        """Every sync-job thread of this replica is busy: plain-job ticks are skipped."""
        return await self.incident(
            f"pool_full:{replica}",
            f"[batch] sync job pool full on replica {replica}: ticks are skipped",
            {
                "replica": replica,
                "pool_size": str(size),
                "job": job_id,
                "tick": fire_time.isoformat(),
            },
        )

    async def clock_skew(self, replica: str, fire_time: datetime, server_ms: int) -> bool:
        """This replica's clock is ahead of Redis's by more than the skew bound."""
        return await self.incident(
            f"clock_skew:{replica}",
            f"[batch] clock of replica {replica} is ahead of Redis at {self.endpoint}",
            {
                "replica": replica,
                "reason": "tick fired before Redis time - BATCH_MAX_CLOCK_SKEW_SECONDS",
                "tick": fire_time.isoformat(),
                "redis_time_ms": str(server_ms),
            },
        )


_CREDENTIALS = re.compile(r"://[^/@\s]*@")
