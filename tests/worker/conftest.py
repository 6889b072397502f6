"""A real Redis for the worker tests, and settings that point at it with a private prefix."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from shared.settings import Settings
from tests.worker.support import RedisServer, answers, seed_epoch_sync


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """127.0.0.1:6379 when it answers, else a throwaway redis-server for the session."""
    shared = "redis://127.0.0.1:6379/0"
    if answers(shared):
        yield shared
        return
    server = RedisServer().start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def key_prefix(redis_url: str) -> Iterator[str]:
    """A prefix no other test (or parallel run) uses; its keys are deleted afterwards.

    Its epoch is seeded (``seed_epoch_sync``): tests start as a fleet that has been running
    on this Redis for a while; the tests of the restart fence use ``fresh_prefix``.
    """
    prefix = f"test:worker:{os.getpid()}:{secrets.token_hex(4)}:"
    seed_epoch_sync(redis_url, prefix)
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}*", count=500))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def fresh_prefix(redis_url: str) -> Iterator[str]:
    """A private prefix with no epoch: as after a Redis restart that lost its memory."""
    prefix = f"test:worker:{os.getpid()}:{secrets.token_hex(4)}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}*", count=500))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def settings(redis_url: str, key_prefix: str, tmp_path: Path) -> Settings:
    """Worker settings against the test Redis; no Slack webhook."""
    return Settings(
        redis_url=redis_url,  # type: ignore[arg-type]
        batch_key_prefix=key_prefix,
        batch_health_file=str(tmp_path / "alive"),
        batch_timezone="Asia/Seoul",
        batch_grace_period_seconds=10,
    )
