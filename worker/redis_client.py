"""The worker's Redis client: short timeouts so a dead Redis costs a skipped tick, not a hang."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from shared.exceptions import ConfigurationError


def build_redis(url: str, *, timeout_seconds: float = 2.0) -> Redis:
    """Build (without connecting) a client for ``redis://`` or ``rediss://`` (TLS) ``url``.

    One immediate retry lets a command survive a connection that Redis dropped (a restart);
    more retries would only delay the "Redis is down" decision.
    """
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigurationError("REDIS_URL must start with redis://, rediss:// or unix://")
    return Redis.from_url(
        url,
        socket_connect_timeout=timeout_seconds,
        socket_timeout=timeout_seconds,
        retry=Retry(NoBackoff(), 1),
        health_check_interval=30,
    )


def redis_endpoint(client: Redis) -> str:
    """``host:port`` (or the socket path) the client talks to; never the password."""
    kwargs = client.connection_pool.connection_kwargs
    if "path" in kwargs:
        return str(kwargs["path"])
    return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"
