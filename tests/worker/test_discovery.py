"""Discovery imports every schedules module once, under its real name, or fails naming it."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from shared.exceptions import ConfigurationError
from tests.worker.import_log import IMPORTS
from tests.worker.support import PYTHON, REPO, worker_env
from worker import DEFAULT_REGISTRY
from worker.discovery import discover

PKG = "tests.worker.discovery_pkg"


def test_every_module_is_imported_once_under_its_real_name() -> None:
    names = discover([PKG])
    discover([PKG])  # a second discovery (or a plain import) executes nothing again
    importlib.import_module(f"{PKG}.reports")
    assert sorted(names) == sorted([PKG, f"{PKG}.reports", f"{PKG}.sub", f"{PKG}.sub.cleanup"])
    for name in names:
        assert IMPORTS[name] == 1
        assert sys.modules[name].__name__ == name
    ids = sorted(spec.job_id for spec in DEFAULT_REGISTRY.jobs([PKG]))
    assert ids == [
        f"batch.{PKG}.reports.morning_report",
        f"batch.{PKG}.sub.cleanup.cleanup",
    ]


def test_a_broken_module_fails_with_its_name() -> None:
    with pytest.raises(ConfigurationError, match=r"tests\.worker\.broken_pkg\.bad") as caught:
        discover(["tests.worker.broken_pkg"])
    assert "broken on purpose" in caught.value.message
    with pytest.raises(ConfigurationError, match=r"tests\.worker\.broken_sub_pkg\.inner"):
        discover(["tests.worker.broken_sub_pkg"])
    with pytest.raises(ConfigurationError, match=r"tests\.worker\.not_there"):
        discover(["tests.worker.not_there"])


def test_worker_start_up_stops_with_the_broken_module_named(
    redis_url: str, key_prefix: str, tmp_path: Path
) -> None:
    env = worker_env(
        redis_url, key_prefix, tmp_path, BATCH_SCHEDULES_PACKAGES="tests.worker.broken_pkg"
    )
    done = subprocess.run(
        [PYTHON, "-m", "worker"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "tests.worker.broken_pkg.bad" in done.stderr
