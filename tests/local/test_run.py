"""``make run``'s launcher: dev secrets kept once, everything up, Ctrl-C leaves no process."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from local.devserver import devenv, run
from local.devserver.processes import Supervisor
from tests.local.server import ROOT, free_port

pytestmark = pytest.mark.slow


def test_dev_secrets_are_generated_once_and_private(tmp_path: Path) -> None:
    first, created = devenv.load_or_create_secrets(tmp_path)
    again, created_again = devenv.load_or_create_secrets(tmp_path)
    assert (created, created_again) == (True, False)
    assert again == first
    assert first.signing_secret.startswith("whsec_")
    assert len(first.signing_secret) == len("whsec_") + 44  # base64 of 32 bytes
    assert (tmp_path / devenv.SECRETS_FILE).stat().st_mode & 0o077 == 0


def test_without_redis_or_redis_server_the_worker_gets_the_in_process_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # no redis-server to be found
    env = {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}  # nothing answers there
    supervisor = Supervisor(tmp_path / "run.log")
    scratch: list[str] = []
    try:
        how = run.worker_locks(supervisor, env, tmp_path, scratch)
        assert supervisor.children == {}  # no redis-server was started
    finally:
        supervisor.stop_all()
    assert env["BATCH_LOCK_BACKEND"] == "memory"
    assert "single replica with an in-process lock" in how
    assert "redis-server is not installed" in how
    assert scratch == []


def test_an_explicit_memory_backend_is_kept_even_when_redis_server_exists(tmp_path: Path) -> None:
    env = {"BATCH_LOCK_BACKEND": "memory", "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    supervisor = Supervisor(tmp_path / "run.log")
    try:
        how = run.worker_locks(supervisor, env, tmp_path, [])
        assert supervisor.children == {}
    finally:
        supervisor.stop_all()
    assert env["BATCH_LOCK_BACKEND"] == "memory"
    assert "in-process lock (BATCH_LOCK_BACKEND=memory)" in how


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("hide_redis_server", [False, True], ids=["path", "no-redis-server"])
def test_run_starts_everything_demo_shows_callback_ctrl_c_stops_all(
    tmp_path: Path, hide_redis_server: bool
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",  # nothing answers: throwaway redis
    }
    env.pop("BATCH_LOCK_BACKEND", None)
    if hide_redis_server:  # then the worker must run alone with the in-process lock
        (tmp_path / "bin").mkdir()
        env["PATH"] = str(tmp_path / "bin")
    argv = [sys.executable, "-m", "local.devserver.run", "--port", str(port)]
    launcher = subprocess.Popen(
        [*argv, "--state-dir", str(tmp_path / "state")],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert launcher.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("Ctrl-C stops" in x for x in lines):
            lines.append(launcher.stdout.readline())
        text = "".join(lines)
        drain = threading.Thread(target=launcher.stdout.read, daemon=True)
        drain.start()  # keep the pipe flowing so no child blocks on its output
        assert "Ctrl-C stops everything" in text, text
        token = re.search(r"API token\s+(\S+)", text)
        assert token is not None
        assert f"http://127.0.0.1:{port}/swagger" in text
        has_redis = shutil.which("redis-server", path=env["PATH"]) is not None
        assert ("throwaway redis-server" in text) == has_redis
        assert ("single replica with an in-process lock" in text) == (not has_redis)
        listed = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/tasks",
            headers={"Authorization": f"Bearer {token.group(1)}"},
        )
        assert listed.status_code == 200
        demo = subprocess.run(
            [sys.executable, "-m", "local.devserver.demo", "--port", str(port),
             "--state-dir", str(tmp_path / "state")],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert demo.returncode == 0, demo.stdout + demo.stderr
        assert "task callback received" in demo.stdout  # the log line, shown by the demo
        assert "signature was verified" in demo.stdout
        children = children_of(launcher.pid)
        assert len(children) == (3 if has_redis else 2)  # [redis-server,] uvicorn, worker
        launcher.send_signal(signal.SIGINT)
        assert launcher.wait(30) == 0
        time.sleep(0.2)
        assert [pid for pid in children if alive(pid)] == []
        run_log = (tmp_path / "state" / "run.log").read_text(encoding="utf-8").splitlines()
        worker_lines = [line for line in run_log if " worker | " in line]
        assert worker_lines, "the worker logged nothing"
        in_process = "single replica with an in-process lock" in worker_lines[0]
        assert in_process == (not has_redis), worker_lines[0]
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait(5)
