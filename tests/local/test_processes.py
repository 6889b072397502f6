"""The API with the local backend under several server processes (issue 13, item 8).

One process runs the engine, every process serves the API against the same store, a task
created through any process fires to the second, and a failed start-up never exits 0.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from local.devserver import devenv
from tests.local.receiver import Receiver
from tests.local.server import ROOT, Server

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]
ENGINE = "local scheduler started"
STANDBY = "another process runs the local engine"
TAKEOVER = "the local engine's process stopped"


def pid_logging_config(path: Path) -> Path:
    """``make run``'s logging config, with the process id in our lines and the access lines."""
    config = json.loads(devenv.logging_config(path).read_text())
    # our loggers write JSON lines in make run; here a plain line that names the process
    config["formatters"]["json"] = {"format": "%(process)d %(levelname)s [%(name)s] %(message)s"}
    config["formatters"]["access"]["fmt"] = 'pid=%(process)d "%(request_line)s" %(status_code)s'
    path.write_text(json.dumps(config))
    return path


class Workers(Server):
    """``uvicorn api_app.main:app --workers 3``: uvicorn's own command line."""

    def argv(self) -> list[str]:
        config = pid_logging_config(self.log_path.parent / "logging.json")
        return [
            sys.executable, "-m", "uvicorn", "api_app.main:app", "--host", "127.0.0.1",
            "--port", str(self.port), "--workers", "3", "--log-config", str(config),
        ]  # fmt: skip

    def pids(self, text: str) -> set[int]:
        log = self.log_path.read_text(errors="replace")
        return {int(m) for m in re.findall(rf"^(\d+) \w+ \[local\] {text}", log, re.MULTILINE)}

    def wait_pids(self, text: str, count: int, timeout: float = 20.0) -> set[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.pids(text)) < count:
            time.sleep(0.1)
        return self.pids(text)

    def engine_runners(self) -> set[int]:
        """Processes that started with the engine or took it over."""
        return (self.pids(ENGINE) - self.pids(STANDBY)) | self.pids(TAKEOVER)

    def served_by(self) -> list[int]:
        log = self.log_path.read_text(errors="replace")
        return [int(p) for p in re.findall(r'pid=(\d+) "POST /api/v1/tasks ', log)]


@pytest.fixture
def target() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    # A 5 s poll: a task due in 2 s is on time only if its process wakes the engine's.
    server = Workers(tmp_path / "state", tmp_path / "server.log", LOCAL_POLL_SECONDS="5")
    server.start()
    yield server
    server.close()


def create_fresh(server: Server, url: str) -> dict[str, object]:
    """Create a task over a new connection (the kernel hands it to any of the processes)."""
    headers = dict(server.client.headers)
    with httpx.Client(base_url=server.base, headers=headers, timeout=10) as client:
        response = client.post("/api/v1/tasks", json={"delay_seconds": 2, "target_url": url})
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def create_due(server: Server, target: Receiver, path: str) -> tuple[str, float]:
    """Create a task calling ``path`` in 2 s through any process; return (path, due time)."""
    task = create_fresh(server, target.url(path))
    return path, datetime.fromisoformat(str(task["run_at"])).timestamp()


def assert_on_time(target: Receiver, due: dict[str, float], timeout: float) -> None:
    got = target.wait_for(len(due), timeout=timeout)
    assert len(got) == len(due)
    for arrival in got:
        lateness = arrival.arrived - due[arrival.path]
        assert -0.01 <= lateness < 1.0, (arrival.path, lateness)  # to the second


def test_three_uvicorn_workers_share_one_engine_and_tasks_from_each_fire_on_time(
    workers: Workers, target: Receiver
) -> None:
    started = workers.wait_pids(ENGINE, 3)
    assert len(started) == 3  # all three processes started (none failed on the lock)
    standby = workers.wait_pids(STANDBY, 2)
    assert len(standby) == 2
    assert standby < started  # exactly one runs the engine
    due: dict[str, float] = {}
    for index in range(60):  # until each process has created some
        path, when = create_due(workers, target, f"/mp-{index}")
        due[path] = when
        if len(set(workers.served_by())) == 3 and len(due) >= 9:
            break
    assert set(workers.served_by()) == started
    assert_on_time(target, due, timeout=8)
    time.sleep(0.5)
    assert len(target.arrivals()) == len(due)  # each fired once

    [engine] = started - standby
    os.kill(engine, signal.SIGKILL)
    # A standby takes over within the 5 s poll, or the worker uvicorn starts in place of the
    # killed one gets the free lock first: either way one live process runs the engine.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not workers.engine_runners() - {engine}:
        time.sleep(0.1)
    assert len(workers.engine_runners() - {engine}) == 1
    target.received.clear()
    later = dict(create_due(workers, target, f"/late-{i}") for i in range(3))
    assert_on_time(target, later, timeout=8)


def serve(tmp_path: Path, workers: int, **env: str) -> subprocess.CompletedProcess[bytes]:
    server = Server(tmp_path / "state", tmp_path / "server.log", **env)
    argv = [sys.executable, "-m", "local.devserver.serve", "--port", str(server.port)]
    argv += ["--workers", str(workers)]
    return subprocess.run(argv, env=server.env, cwd=ROOT, capture_output=True, timeout=60)


@pytest.mark.parametrize("processes", [1, 3])
def test_a_failed_start_up_exits_non_zero(tmp_path: Path, processes: int) -> None:
    # The lifespan refuses the setting: uvicorn's own CLI would exit 0 with --workers 3.
    done = serve(tmp_path, processes, LOCAL_HOST_CONCURRENCY="lots")
    assert done.returncode == 3, done.stderr.decode()[-2000:]
    assert b"LOCAL_HOST_CONCURRENCY" in done.stderr


def test_an_unreadable_setting_exits_non_zero(tmp_path: Path) -> None:
    done = serve(tmp_path, 3, LOCAL_WORKERS="zero")  # fails while importing the app
    assert done.returncode != 0
    assert b"LOCAL_WORKERS" in done.stderr


def test_an_unusable_wake_socket_does_not_stop_the_engine(tmp_path: Path, target: Receiver) -> None:
    from local.backend import LocalScheduler
    from local.backend.delivery import AsyncDelivery
    from shared.delivery.config import DeliveryConfig
    from tests.local.conftest import FAST, SECRET
    from tests.local.test_engine import one_time

    (tmp_path / "state" / "engine.wake").mkdir(parents=True)  # the socket cannot be made
    config = DeliveryConfig(allowed_target_hosts=("127.0.0.1",), signing_secrets=(SECRET,))
    scheduler = LocalScheduler(tmp_path / "state", AsyncDelivery(config), FAST)
    scheduler.start(shared=True)
    try:
        scheduler.create_one_time(one_time(target, "/still", 1.2))
        assert len(target.wait_for(1, timeout=4)) == 1
    finally:
        scheduler.shutdown()
