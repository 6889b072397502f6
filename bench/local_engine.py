"""Benchmark of the local scheduling backend; prints ``name value`` lines (issue 7, item 5).

One run, against a minimal receiver (a bare ASGI app on uvicorn, its own process, 127.0.0.1):

* precision: 1,000 tasks due evenly over 10 s → lateness (arrival - due) p50/p99/max;
* burst: 1,000 tasks due at one instant → time until the last arrives, and ``burst_ratio``
  against a bare urllib3 pool sending the same 1,000 requests at the same concurrency;
* creation: tasks created per second over HTTP by 8 concurrent clients against the real
  API (uvicorn, local backend), and ``creation_ratio`` = ``GET /health`` rate / that rate.

Run: ``PYTHONPATH=src:functions/api:functions/api_call:. .venv/bin/python -m bench.local_engine``
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.local.server import Server, free_port

ROOT = Path(__file__).resolve().parents[1]
WORKERS = 8
TASKS = 1000
SPREAD_SECONDS = 10.0
CLIENTS = 8
RATE_SECONDS = 4.0
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


def start_receiver() -> tuple[Any, str]:
    import subprocess

    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "bench.local_engine:receiver_app", "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    process = subprocess.Popen(
        [*argv, "--no-access-log", "--log-level", "warning"], env=env, cwd=ROOT
    )
    url = f"http://127.0.0.1:{port}"
    import urllib3

    for _ in range(100):
        try:
            urllib3.request("GET", url, timeout=0.5)
            return process, url
        except urllib3.exceptions.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("receiver did not start")


def collect(url: str) -> list[tuple[float, dict[str, Any]]]:
    import urllib3

    data = json.loads(urllib3.request("GET", url + "/dump", timeout=10).data)
    return [(float(t), json.loads(b)) for t, b in data]


def schedule_due(scheduler: Any, url: str, due_times: list[float], tag: str) -> None:
    """Store tasks due at ``due_times`` (fractional seconds: the engine is what is measured)."""
    from local.backend.records import TaskRow
    from shared.delivery.event import ApiCallRequest

    now = time.time()
    for i, due in enumerate(due_times):
        task_id = f"{tag}-{i}"
        call = ApiCallRequest(target_url=url + "/hook", body={"i": i, "due": due}, task_id=task_id)
        row = TaskRow(task_id, "one_time", "at()", "UTC", json.dumps(call.to_event()), now, due)
        scheduler.store.insert_task(row)
    scheduler.engine.wake()


def wait_arrivals(url: str, count: int, timeout: float) -> list[tuple[float, dict[str, Any]]]:
    """Wait (polling a cheap counter) until ``count`` requests arrived, then fetch them all."""
    import urllib3

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.25)
        if int(urllib3.request("GET", url + "/count", timeout=10).data) >= count:
            break
    return collect(url)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def engine_figures(url: str, state: Path) -> dict[str, float]:
    from local.backend import LocalScheduler
    from local.backend.config import EngineConfig
    from local.backend.wiring import pooled_deliver
    from shared.delivery.config import DeliveryConfig

    config = DeliveryConfig(
        allowed_target_hosts=("127.0.0.1",), signing_secrets=("whsec_" + "A" * 32,)
    )
    engine = EngineConfig(workers=WORKERS)
    scheduler = LocalScheduler(state, pooled_deliver(config, WORKERS), engine)
    scheduler.start()
    try:
        start = time.time() + 2.0
        schedule_due(
            scheduler, url, [start + i * SPREAD_SECONDS / TASKS for i in range(TASKS)], "p"
        )
        late = [(t - body["due"]) * 1000 for t, body in wait_arrivals(url, TASKS, 40)]
        instant = time.time() + 2.0
        schedule_due(scheduler, url, [instant] * TASKS, "b")
        burst = wait_arrivals(url, TASKS, 60)
    finally:
        scheduler.shutdown()
    return {
        "precision_tasks": len(late),
        "precision_p50_ms": statistics.median(late),
        "precision_p99_ms": percentile(late, 0.99),
        "precision_max_ms": max(late),
        "burst_tasks": len(burst),
        "burst_seconds": max(t for t, _ in burst) - instant,
    }


def bare_pool_seconds(url: str) -> float:
    """Send the same 1,000 POSTs with a bare urllib3 pool at the same concurrency."""
    import urllib3

    pool = urllib3.PoolManager(maxsize=WORKERS, block=True, retries=False)
    bodies = [json.dumps({"i": i, "due": 0.0}).encode() for i in range(TASKS)]
    headers = {"Content-Type": "application/json"}
    started = time.time()
    with ThreadPoolExecutor(WORKERS) as workers:
        list(
            workers.map(
                lambda b: pool.request("POST", url + "/hook", body=b, headers=headers), bodies
            )
        )
    elapsed = time.time() - started
    collect(url)
    return elapsed


def rate(send: Callable[[Any], int], expected: int) -> float:
    """Requests per second by ``CLIENTS`` threads (each its own keep-alive pool) for a while."""
    import urllib3

    stop = time.monotonic() + RATE_SECONDS

    def client(_: int) -> int:
        pool = urllib3.PoolManager(maxsize=1, retries=False)
        done = 0
        while time.monotonic() < stop:
            status = send(pool)
            assert status == expected, status
            done += 1
        return done

    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as clients:
        total = sum(clients.map(client, range(CLIENTS)))
    return total / (time.monotonic() - started)


def creation_figures(folder: Path) -> dict[str, float]:
    server = Server(folder / "state", folder / "server.log", LOCAL_WORKERS=str(WORKERS))
    server.start()
    try:
        auth = {"Authorization": server.client.headers["Authorization"]}
        body = json.dumps({"delay_seconds": 3600, "body": {"data": {"bench": True}}}).encode()
        post_headers = {**auth, "Content-Type": "application/json"}

        def create(pool: Any) -> int:
            return int(
                pool.request(
                    "POST", f"{server.base}/api/v1/tasks", body=body, headers=post_headers
                ).status
            )

        def health(pool: Any) -> int:
            return int(pool.request("GET", f"{server.base}/health").status)

        health_rate = rate(health, 200)
        create_rate = rate(create, 201)
    finally:
        server.close()
    return {
        "creation_per_second": create_rate,
        "health_per_second": health_rate,
        "creation_ratio": health_rate / create_rate,
    }


def main() -> int:
    """Measure everything in one run and print ``name value`` lines."""
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # no per-call INFO lines
    receiver, url = start_receiver()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            figures = engine_figures(url, Path(scratch) / "engine")
            figures["burst_bare_seconds"] = bare_pool_seconds(url)
            figures["burst_ratio"] = figures["burst_seconds"] / figures["burst_bare_seconds"]
            figures.update(creation_figures(Path(scratch)))
    finally:
        receiver.terminate()
        receiver.wait(10)
    for name, value in figures.items():
        print(f"{name} {value:.3f}" if isinstance(value, float) else f"{name} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
