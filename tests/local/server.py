"""The real API (uvicorn, local backend) as a subprocess on a free 127.0.0.1 port."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from tests.support import free_port as free_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "local-test-token"
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # test-only key


class Server:
    """One uvicorn process; ``restart`` keeps the port and the state folder."""

    def __init__(self, state_dir: Path, log_path: Path, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                str(ROOT / p) for p in ("src", "functions/api", "functions/api_call", ".")
            ),
            "SCHEDULER_BACKEND": "local",
            "STAGE": "dev",
            "API_BASE_URL": self.base,
            "API_TOKENS": TOKEN,
            "SIGNING_SECRETS": SECRET,
            "ALLOWED_TARGET_HOSTS": "127.0.0.1",
            "LOCAL_STATE_DIR": str(state_dir),
            "LOCAL_RETRY_BASE_SECONDS": "0.2",
            "LOCAL_POLL_SECONDS": "0.5",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.client = httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        )

    def argv(self) -> list[str]:
        """The server's command line (uvicorn, one process); tests may replace it."""
        argv = [sys.executable, "-m", "uvicorn", "api_app.main:app", "--host", "127.0.0.1"]
        return [*argv, "--port", str(self.port), "--no-access-log"]

    def start(self, timeout: float = 30.0) -> None:
        argv = self.argv()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not answer /health in time")

    def stop(self, signum: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def close(self) -> None:
        self.stop()
        self.client.close()

    def create(self, **body: Any) -> dict[str, Any]:
        response = self.client.post("/api/v1/tasks", json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def log_events(self, message: str) -> list[dict[str, Any]]:
        """Return the JSON log lines (Powertools) whose message is ``message``."""
        found = []
        for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{") and f'"message":"{message}"' in line:
                found.append(json.loads(line))
        return found


def log_time(event: dict[str, Any]) -> float:
    """Epoch seconds of a Powertools log line's ``timestamp`` (``2026-11-23 09:38:26,008+0000``)."""
    return datetime.strptime(event["timestamp"], "%Y-%m-%d %H:%M:%S,%f%z").timestamp()
