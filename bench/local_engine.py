"""Benchmark of the local scheduling backend; prints ``name value`` lines (issues 7 and 14).

Phases (all by default, or name some: ``... -m bench.local_engine hol sustained``), against a
bare ASGI receiver on uvicorn in its own process on 127.0.0.1:

* ``precision``: 1,000 tasks due evenly over 10 s → lateness (arrival - due) p50/p99/max;
* ``burst``: 1,000 tasks due at one instant → time until the last arrives, and
  ``burst_ratio`` against a bare urllib3 pool sending the same 1,000 requests with as many
  threads as the engine's per-target limit;
* ``creation``: tasks created per second over HTTP by 8 concurrent clients against the real
  API (uvicorn, local backend), and ``creation_ratio`` = ``GET /health`` rate / that rate;
* ``hol``: 50 tasks to a target that never answers and 200 to a healthy one, all due within
  the same 5 s → the healthy target's lateness p99 (``hol_p99_ms``), ``hol_ratio`` against the
  same 200 with no bad target, and how long the engine takes to stop with calls hanging;
* ``sustained``: 1,000 tasks due per second for 20 s → lateness p50/p99/max, rate, lost.

Precision and burst run with the delivery INFO logs off (as first measured); ``hol`` and
``sustained`` with the default INFO logs (two JSON lines per delivery, written to a file).

Run: ``PYTHONPATH=src:functions/api:functions/api_call:. .venv/bin/python -m bench.local_engine``
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import urllib3

from bench.local_receiver import (
    collect,
    hanging_target,
    percentile,
    start_receiver,
    store_due,
    wait_arrivals,
)
from tests.local.server import Server

PER_TARGET = 8  # the default LOCAL_HOST_CONCURRENCY
TASKS = 1000
SPREAD_SECONDS = 10.0
CLIENTS = 8
RATE_SECONDS = 4.0
SUSTAINED_PER_SECOND = 1000
SUSTAINED_SECONDS = 20
Figures = dict[str, float]


@contextmanager
def running_engine(state: Path, log_level: str, log_file: Path) -> Iterator[Any]:
    """A started ``LocalScheduler`` (default limits) with the delivery logs at ``log_level``."""
    from local.backend import LocalScheduler
    from local.backend.config import EngineConfig
    from local.backend.delivery import AsyncDelivery
    from shared.delivery.config import DeliveryConfig
    from shared.delivery.logs import logger

    logger.setLevel(log_level)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler: Any = logger.registered_handler
    stream = log_file.open("a", encoding="utf-8")
    previous = handler.setStream(stream)
    config = DeliveryConfig(
        allowed_target_hosts=("127.0.0.1",), signing_secrets=("whsec_" + "A" * 32,)
    )
    scheduler = LocalScheduler(state, AsyncDelivery(config), EngineConfig())
    scheduler.start()
    try:
        yield scheduler
    finally:
        scheduler.shutdown()
        handler.setStream(previous)
        stream.close()


def lateness_ms(arrivals: list[tuple[float, dict[str, Any]]]) -> list[float]:
    return [(t - body["due"]) * 1000 for t, body in arrivals]


def precision_and_burst(url: str, scratch: Path) -> Figures:
    with running_engine(scratch / "pb", "WARNING", scratch / "pb.log") as scheduler:
        start = time.time() + 2.0
        spread = [(url, start + i * SPREAD_SECONDS / TASKS) for i in range(TASKS)]
        store_due(scheduler, spread, "p")
        late = lateness_ms(wait_arrivals(url, TASKS, 40))
        instant = time.time() + 2.0
        store_due(scheduler, [(url, instant)] * TASKS, "b")
        burst = wait_arrivals(url, TASKS, 60)
    figures = {
        "precision_tasks": float(len(late)),
        "precision_p50_ms": statistics.median(late),
        "precision_p99_ms": percentile(late, 0.99),
        "precision_max_ms": max(late),
        "burst_tasks": float(len(burst)),
        "burst_seconds": max(t for t, _ in burst) - instant,
    }
    figures["burst_bare_seconds"] = bare_pool_seconds(url)
    figures["burst_ratio"] = figures["burst_seconds"] / figures["burst_bare_seconds"]
    return figures


def bare_pool_seconds(url: str) -> float:
    """Send the same 1,000 POSTs with a bare urllib3 pool, as many threads as the share."""
    pool = urllib3.PoolManager(maxsize=PER_TARGET, block=True, retries=False)
    bodies = [json.dumps({"i": i, "due": 0.0}).encode() for i in range(TASKS)]
    headers = {"Content-Type": "application/json"}
    started = time.time()
    with ThreadPoolExecutor(PER_TARGET) as workers:
        list(
            workers.map(
                lambda b: pool.request("POST", url + "/hook", body=b, headers=headers), bodies
            )
        )
    elapsed = time.time() - started
    collect(url)
    return elapsed


def hol_once(url: str, scratch: Path, bad: str | None, name: str) -> tuple[float, float]:
    """Healthy lateness p99 (ms) with 50 calls to ``bad`` mixed in; seconds to stop."""
    rng = random.Random(14)  # the same due times with and without the bad target
    start = time.time() + 2.0
    healthy = [(url, start + rng.uniform(0, 5)) for _ in range(200)]
    hanging = [(bad, start + rng.uniform(0, 5)) for _ in range(50)] if bad else []
    with running_engine(scratch / name, "INFO", scratch / f"{name}.log") as scheduler:
        store_due(scheduler, healthy + hanging, name)
        got = wait_arrivals(url, len(healthy), 20)
        stopping = time.monotonic()
    stopped = time.monotonic() - stopping
    late = lateness_ms([(t, b) for t, b in got if b["tag"] == name])
    assert len(late) == len(healthy), f"{len(late)} of {len(healthy)} healthy calls arrived"
    return percentile(late, 0.99), stopped


def hol(url: str, scratch: Path) -> Figures:
    listener, bad = hanging_target()
    try:
        baseline, _ = hol_once(url, scratch, None, "clean")
        p99, stop_seconds = hol_once(url, scratch, bad, "hol")
    finally:
        listener.close()
    return {
        "hol_baseline_p99_ms": baseline,
        "hol_p99_ms": p99,
        "hol_ratio": p99 / baseline,
        "hol_stop_seconds": stop_seconds,
    }


def sustained(url: str, scratch: Path) -> Figures:
    count = SUSTAINED_PER_SECOND * SUSTAINED_SECONDS
    with running_engine(scratch / "s", "INFO", scratch / "s.log") as scheduler:
        start = time.time() + 3.0
        store_due(scheduler, [(url, start + i / SUSTAINED_PER_SECOND) for i in range(count)], "s")
        cpu = time.process_time()
        got = wait_arrivals(url, count, SUSTAINED_SECONDS + 30)
        cpu = time.process_time() - cpu
    late = lateness_ms(got)
    delivered = len({body["i"] for _, body in got})
    last = max(t for t, _ in got)
    return {
        "sustained_tasks": float(count),
        "sustained_lost": float(count - delivered),
        "sustained_p50_ms": statistics.median(late),
        "sustained_p99_ms": percentile(late, 0.99),
        "sustained_max_ms": max(late),
        "sustained_rate": delivered / (last - start),
        "sustained_cpu_ms_per_delivery": cpu * 1000 / max(delivered, 1),
    }


def rate(send: Callable[[Any], int], expected: int) -> float:
    """Requests per second by ``CLIENTS`` threads (each its own keep-alive pool) for a while."""
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


def creation(url: str, scratch: Path) -> Figures:
    server = Server(scratch / "state", scratch / "server.log")
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


PHASES: dict[str, Callable[[str, Path], Figures]] = {
    "precision": precision_and_burst,  # precision and burst share one engine
    "creation": creation,
    "hol": hol,
    "sustained": sustained,
}


def main(argv: list[str]) -> int:
    """Measure the named phases (all by default) in one run and print ``name value`` lines."""
    names = [("precision" if n == "burst" else n) for n in argv] or list(PHASES)
    unknown = [n for n in names if n not in PHASES]
    if unknown:
        print(f"unknown phase(s) {unknown}; choose from {[*PHASES, 'burst']}", file=sys.stderr)
        return 2
    receiver, url = start_receiver()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            for name in dict.fromkeys(names):
                folder = Path(scratch) / name
                folder.mkdir()
                for figure, value in PHASES[name](url, folder).items():
                    print(f"{figure} {value:.3f}", flush=True)
    finally:
        receiver.terminate()
        receiver.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
