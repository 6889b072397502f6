"""The worker's settings: list parsing, secrets kept out of repr, REDIS_URL required."""

from __future__ import annotations

import pytest

from shared.exceptions import ConfigurationError
from shared.settings import Settings


def test_worker_names_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATCH_SCHEDULES_PACKAGES", "worker.schedules, team.jobs")
    monkeypatch.setenv("BATCH_TIMEZONE", "Asia/Seoul")
    monkeypatch.setenv("REDIS_URL", "rediss://:hunter2@cache.internal:6380/0")
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T/B/secretpart")
    settings = Settings()
    assert settings.batch_schedules_packages == ("worker.schedules", "team.jobs")
    assert settings.batch_timezone == "Asia/Seoul"
    assert "hunter2" not in repr(settings)
    assert "secretpart" not in repr(settings)
    assert settings.missing_for("worker") == []


def test_missing_redis_url_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    with pytest.raises(ConfigurationError, match="REDIS_URL"):
        Settings().ensure_ready("worker")
