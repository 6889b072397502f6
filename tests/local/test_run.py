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

from shared.scheduling.local import devenv
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


def test_run_starts_everything_demo_shows_callback_ctrl_c_stops_all(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",  # nothing answers: throwaway redis
    }
    argv = [sys.executable, "-m", "shared.scheduling.local.run", "--port", str(port)]
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
        has_redis = shutil.which("redis-server") is not None
        assert ("throwaway redis-server" in text) == has_redis
        listed = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/tasks",
            headers={"Authorization": f"Bearer {token.group(1)}"},
        )
        assert listed.status_code == 200
        demo = subprocess.run(
            [sys.executable, "-m", "shared.scheduling.local.demo", "--port", str(port),
             "--state-dir", str(tmp_path / "state")],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert demo.returncode == 0, demo.stdout + demo.stderr
        assert "task callback received" in demo.stdout  # the log line, shown by the demo
        assert "signature was verified" in demo.stdout
        children = children_of(launcher.pid)
        assert len(children) == (3 if has_redis else 1)  # redis-server, uvicorn, worker
        launcher.send_signal(signal.SIGINT)
        assert launcher.wait(30) == 0
        time.sleep(0.2)
        assert [pid for pid in children if alive(pid)] == []
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait(5)
