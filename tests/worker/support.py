"""Helpers for the worker tests: a throwaway redis-server and worker child processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import redis
from redis.asyncio import Redis as AsyncRedis

from tests.support import free_port as free_port

REPO = Path(__file__).resolve().parents[2]


def answers(url: str) -> bool:
    """True when a Redis at ``url`` answers PING within half a second."""
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


class RedisServer:
    """A throwaway ``redis-server`` (no persistence) on a port of its own."""

    def __init__(self, port: int | None = None, *, debug: bool = False) -> None:
        self.port = port or free_port()
        self.debug = debug  # allow DEBUG SLEEP (off by default since Redis 7)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                *(["--enable-debug-command", "yes"] if self.debug else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not answers(self.url):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


def worker_env(redis_url: str, prefix: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment for a ``python -m worker`` child process."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BATCH_", "REDIS_", "SLACK_"))
    }
    env.update(
        PYTHONPATH=os.pathsep.join([str(REPO / "src"), str(REPO)]),
        PYTHONUNBUFFERED="1",
        REDIS_URL=redis_url,
        BATCH_KEY_PREFIX=prefix,
        BATCH_TIMEZONE="UTC",
        BATCH_HEARTBEAT_SECONDS="0.5",
        WORKER_TEST_DIR=str(tmp_path),
    )
    env.update(extra)
    return env


PYTHON = sys.executable


class WebhookServer:
    """A real HTTP server on 127.0.0.1 that records the JSON bodies POSTed to it."""

    def __init__(self, status: int = 200) -> None:
        received: list[dict[str, object]] = []
        self.received = received
        reply = status

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(reply)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if reply == 200 else b"error")

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/x"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def seed_epoch_sync(url: str, prefix: str) -> None:
    """Record that the Redis at ``url`` has vouched for ``prefix``'s ticks since 1970.

    A fleet that has been running for a while has such an epoch; without it the first
    ``BATCH_MAX_CLOCK_SKEW_SECONDS`` of ticks are fenced (``skipped:redis_restarted``).
    """
    client = redis.Redis.from_url(url)
    try:
        run_id = client.info("server")["run_id"]
        client.set(f"{prefix}epoch", f"{run_id}:0")
    finally:
        client.close()


async def seed_epoch(client: AsyncRedis, prefix: str) -> None:
    """``seed_epoch_sync`` with the asyncio client."""
    run_id = (await client.info("server"))["run_id"]
    await client.set(f"{prefix}epoch", f"{run_id}:0")


FAKETIME_LIB = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1")


def skewed(env: dict[str, str], offset_seconds: float) -> dict[str, str]:
    """``env`` with libfaketime preloaded: the whole process's wall clock is moved."""
    if not FAKETIME_LIB.exists():
        raise RuntimeError(
            f"{FAKETIME_LIB} is missing: install the Debian package 'faketime'"
            " (make test does it: apt-get install -y faketime)"
        )
    return {
        **env,
        "LD_PRELOAD": str(FAKETIME_LIB),
        "FAKETIME": f"{offset_seconds:+.3f}",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }


def spawn_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``python -m worker`` with its output in ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen([PYTHON, "-m", "worker"], cwd=REPO, env=env, stdout=out, stderr=out)


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll ``condition`` every 0.1 s; fail the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def decisions(log: Path) -> list[dict[str, Any]]:
    """The ``batch tick`` decision lines of a worker's JSON log."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        if "decision" in record:
            found.append(record)
    return found


def stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    """Kill whatever is still running (test clean-up)."""
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
