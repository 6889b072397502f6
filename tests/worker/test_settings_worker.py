"""The worker's settings: list parsing, secrets kept out of repr, REDIS_URL required, and
settings that break the lock rule refused at start."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from shared.exceptions import ConfigurationError
from shared.settings import Settings
from tests.worker.support import PYTHON, REPO, worker_env
from worker import Registry, batch_schedule
from worker.guarantees import check_guarantees


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


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"BATCH_LOCK_TTL_SECONDS": "40"}, "40 <= 2 x 5 + 30 (BATCH_MISFIRE_GRACE_SECONDS)"),
        (
            {"BATCH_LOCK_TTL_SECONDS": "100", "BATCH_MAX_CLOCK_SKEW_SECONDS": "40"},
            "100 <= 2 x 40 + 30",
        ),
    ],
)
def test_settings_that_break_the_lock_rule_stop_the_worker_with_exit_2(
    env: dict[str, str], named: str, tmp_path: Path
) -> None:
    proc_env = worker_env(
        "redis://127.0.0.1:1/0",  # never reached: the rule is checked first
        "rule:",
        tmp_path,
        BATCH_SCHEDULES_PACKAGES="tests.worker.scenarios.recorded",
        **env,
    )
    done = subprocess.run(
        [PYTHON, "-m", "worker"], cwd=REPO, env=proc_env, capture_output=True, timeout=60
    )
    assert done.returncode == 2
    err = done.stderr.decode()
    assert "BATCH_LOCK_TTL_SECONDS > 2 x BATCH_MAX_CLOCK_SKEW_SECONDS + misfire grace" in err
    assert named in err


def test_a_jobs_own_misfire_grace_is_held_to_the_rule_too() -> None:
    registry = Registry()

    @batch_schedule("interval", seconds=5, misfire_grace_seconds=600, registry=registry)
    def lenient() -> None: ...

    settings = Settings(redis_url="redis://127.0.0.1:1/0")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"300 <= 2 x 5 \+ 600 \(misfire_grace_seconds"):
        check_guarantees(settings, registry.jobs())
    check_guarantees(settings, [])  # the defaults keep the rule: 300 > 2 x 5 + 30
