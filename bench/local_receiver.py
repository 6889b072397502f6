"""The receiver side of ``bench.local_engine``: a bare ASGI app on uvicorn in its own process.

It records (arrival time, body) of every POST; ``GET /count`` answers how many arrived and
any other GET returns them all (and forgets them). Also: a *hanging* target (a listening
socket that never answers) and helpers to store tasks straight into the engine's store.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import urllib3

from tests.local.server import free_port

ROOT = Path(__file__).resolve().parents[1]
_arrivals: list[tuple[float, bytes]] = []


async def receiver_app(scope: dict[str, Any], receive: Callable[..., Any], send: Any) -> None:
    """The minimal receiver: records (arrival time, body) of every POST; GET returns them."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["method"] == "POST":
        _arrivals.append((time.time(), body))
        reply = b"ok"
    elif scope["path"] == "/count":  # cheap progress check while a phase runs
        reply = str(len(_arrivals)).encode()
    else:
        reply = json.dumps([[t, b.decode()] for t, b in _arrivals]).encode()
        _arrivals.clear()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(reply)).encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": reply})


def start_receiver() -> tuple[subprocess.Popen[bytes], str]:
    """Start the receiver on a free port; return the process and its base URL."""
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "bench.local_receiver:receiver_app"]
    argv += ["--port", str(port), "--no-access-log", "--log-level", "warning"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    process = subprocess.Popen(argv, env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib3.request("GET", url + "/count", timeout=0.5)
            return process, url
        except urllib3.exceptions.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("receiver did not start")


def hanging_target() -> tuple[socket.socket, str]:
    """A target that accepts connections (the kernel's backlog) and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(512)
    return listener, f"http://127.0.0.1:{listener.getsockname()[1]}"


def collect(url: str) -> list[tuple[float, dict[str, Any]]]:
    """Return (arrival time, body) of everything received since the last collect."""
    data = json.loads(urllib3.request("GET", url + "/dump", timeout=30).data)
    return [(float(t), json.loads(b)) for t, b in data]


def wait_arrivals(url: str, count: int, timeout: float) -> list[tuple[float, dict[str, Any]]]:
    """Wait (polling a cheap counter) until ``count`` requests arrived, then fetch them all."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.25)
        if int(urllib3.request("GET", url + "/count", timeout=10).data) >= count:
            break
    return collect(url)


def store_due(scheduler: Any, targets: list[tuple[str, float]], tag: str) -> None:
    """Store one-time tasks calling ``url + /hook`` at each (url, due) in one transaction.

    Due times are fractional (the API rounds ``run_at`` up to the second): the engine is what
    is measured, not the API.
    """
    from shared.delivery.event import ApiCallRequest

    now = time.time()
    rows = []
    for i, (url, due) in enumerate(targets):
        task_id = f"{tag}-{i}"
        body = {"i": i, "due": due, "tag": tag}
        call = ApiCallRequest(target_url=url + "/hook", body=body, task_id=task_id)
        rows.append((task_id, "one_time", "at()", "UTC", json.dumps(call.to_event()), now, due))
    with scheduler.store.transaction() as db:
        db.executemany(
            "INSERT INTO tasks (task_id, kind, expression, timezone, input, created_at,"
            " next_fire_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    scheduler.engine.wake()


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
