"""What the ledger costs API_CALL_LAMBDA, and what it saves the listing, against baselines.

    PYTHONPATH=src:functions/api:functions/api_call:. .venv/bin/python -m bench.ledger \
        [--deliveries 200] [--tasks 1000] [--cold-runs 5]

Everything AWS is a ``moto_server`` subprocess on 127.0.0.1 (one HTTP round trip per call,
as on AWS but with no network in between); the target is a local HTTP server answering 200.

- ``delivery_*``: warm API_CALL_LAMBDA invocations in this process, the ledger on
  (``LEDGER_TABLE_NAME`` set: one UpdateItem before the call, one TransactWriteItems after)
  and off, interleaved so machine noise hits all alike. ``ratio`` = ledger on moto p50 /
  bare p50; ``ratio_instant``: the same against a stub DynamoDB on 127.0.0.1 that answers
  at once (our own cost: botocore, signing, two loopback round trips).
- ``cold_*``: a fresh interpreter per run: import the handler and make the first delivery,
  with the ledger (boto3 is imported and the client built on that first delivery) and
  without. ``cold_ratio`` = ledger median / bare median (issue 15's goal: <= 1.25).
- ``list_*``: paging through ``--tasks`` tasks 100 at a time: from the ledger (one Query
  per page) and as before (ListSchedules, then one GetSchedule per task, 8 in parallel).
  ``list_ratio`` = ledger / GetSchedule.
- ``create_*``: ``POST /api/v1/tasks`` through the API app, with the ledger (a GetItem is
  not needed without a client token: one conditional PutItem after CreateSchedule) and
  without. ``create_ratio`` = ledger p50 / bare p50 (issue 15's goal: <= 1.3).
Prints ``name value`` lines.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3

from shared.ledger.codec import task_to_item
from shared.ledger.config import LedgerConfig
from shared.ledger.dynamodb import DynamoDBLedger
from shared.ledger.types import TaskRecord
from tests.shared.ledger.support import create_ledger_table
from tests.support import FakeLambdaContext, free_port

ROOT = Path(__file__).resolve().parents[1]
REGION = "ap-northeast-2"
TABLE = "bench-ledger"
LIST_TABLE = "bench-ledger-list"  # only the listed tasks (deliveries add their own)
GROUP = "bench-tasks"
SECRET = "whsec_YmVuY2gtYmVuY2gtYmVuY2gtYmVuY2gtYmVuY2gtMzI="
ARN = f"arn:aws:lambda:{REGION}:123456789012:function:api-call"


class _Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else headers + body pay a 40 ms delayed ACK per call

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


@contextmanager
def target() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


class _InstantDynamoDB(BaseHTTPRequestHandler):
    """Answers every DynamoDB call at once: what the ledger costs on our side alone."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"{}"
        if self.headers.get("X-Amz-Target", "").endswith(".UpdateItem"):
            body = b'{"Attributes":{"attempt_count":{"N":"1"}}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def instant_dynamodb() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _InstantDynamoDB)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def moto_server() -> Iterator[str]:
    port = free_port()
    moto = Path(sys.executable).with_name("moto_server")
    proc = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/moto-api/", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def environment(endpoint: str, hook: str) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": endpoint,
        "SIGNING_SECRETS": SECRET,
        "API_BASE_URL": hook.rsplit("/", 1)[0],
        "POWERTOOLS_LOG_LEVEL": "ERROR",
    }


def p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def warm_deliveries(hook: str, count: int, moto: str, instant: str) -> None:
    from api_call.handler import lambda_handler

    context = FakeLambdaContext()
    tables = {"bare": None, "ledger": (TABLE, moto), "instant": ("instant", instant)}
    timings: dict[str, list[float]] = {mode: [] for mode in tables}
    for index in range(count + 20):
        for mode, table in tables.items():
            os.environ.pop("LEDGER_TABLE_NAME", None)
            if table is not None:  # a client is built once per table, on this endpoint
                os.environ["LEDGER_TABLE_NAME"], os.environ["AWS_ENDPOINT_URL"] = table
            event = {"target_url": hook, "task_id": f"task-{mode}-{index}", "body": {"n": index}}
            started = time.perf_counter()
            result = lambda_handler(event, context)
            elapsed = time.perf_counter() - started
            assert result["statusCode"] == 200, result
            if index >= 20:  # the first ones build the pools and the client
                timings[mode].append(elapsed)
    os.environ.pop("LEDGER_TABLE_NAME", None)
    os.environ["AWS_ENDPOINT_URL"] = moto
    for mode, samples in timings.items():
        print(f"delivery_{mode}_p50_ms {p(samples, 0.5) * 1e3:.2f}")
        print(f"delivery_{mode}_p99_ms {p(samples, 0.99) * 1e3:.2f}")
    extra = p(timings["ledger"], 0.5) - p(timings["bare"], 0.5)
    print(f"delivery_ledger_extra_ms {extra * 1e3:.2f}")
    print(f"ratio {p(timings['ledger'], 0.5) / p(timings['bare'], 0.5):.2f}")
    print(f"ratio_instant {p(timings['instant'], 0.5) / p(timings['bare'], 0.5):.2f}")


COLD = (
    "import time; s = time.perf_counter()\n"
    "from api_call.handler import lambda_handler\n"
    "from tests.support import FakeLambdaContext\n"
    "r = lambda_handler({{'target_url': {hook!r}, 'task_id': 'cold-{n}'}}, FakeLambdaContext())\n"
    "assert r['statusCode'] == 200, r\n"
    "print(time.perf_counter() - s)\n"
)


def cold_starts(env: dict[str, str], hook: str, runs: int) -> None:
    paths = [str(ROOT / "src"), str(ROOT / "functions" / "api_call"), str(ROOT)]
    base = {**os.environ, **env, "PYTHONPATH": os.pathsep.join(paths)}
    base.pop("LEDGER_TABLE_NAME", None)
    seconds: dict[str, list[float]] = {"bare": [], "ledger": []}
    for n in range(runs):
        for mode in ("bare", "ledger"):
            child = {**base, "LEDGER_TABLE_NAME": TABLE} if mode == "ledger" else base
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", COLD.format(hook=hook, n=f"{mode}-{n}")],
                env=child,
                capture_output=True,
                text=True,
                check=True,
                timeout=120,
            )
            seconds[mode].append(time.perf_counter() - started)
            assert done.stdout.strip(), done.stderr
    for mode, samples in seconds.items():
        print(f"cold_{mode}_first_delivery_seconds {statistics.median(samples):.3f}")
    ratio = statistics.median(seconds["ledger"]) / statistics.median(seconds["bare"])
    print(f"cold_ratio {ratio:.2f}")


def listing(tasks: int) -> None:
    from shared.scheduling.eventbridge import EventBridgeScheduler

    scheduler = boto3.client("scheduler", region_name=REGION)
    scheduler.create_schedule_group(Name=GROUP)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    create_ledger_table(dynamodb, LIST_TABLE)
    created = datetime.now(UTC)
    items = []
    for n in range(tasks):
        name = f"task-{n:05d}"
        hook = {"target_url": "https://hooks.example.com/x", "task_id": name}
        scheduler.create_schedule(
            Name=name,
            GroupName=GROUP,
            ScheduleExpression="at(2030-01-01T00:00:00)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": ARN, "RoleArn": ARN, "Input": json.dumps(hook)},
        )
        record = TaskRecord(
            name, "one_time", "at(2030-01-01T00:00:00)", "UTC", "scheduled", "POST",
            hook["target_url"], created,
        )  # fmt: skip
        items.append({"PutRequest": {"Item": task_to_item(record)}})
    for start in range(0, len(items), 25):
        dynamodb.batch_write_item(RequestItems={LIST_TABLE: items[start : start + 25]})
    adapter = EventBridgeScheduler(
        group_name=GROUP, target_arn=ARN, role_arn=ARN, dead_letter_queue_arn=ARN,
        retry_attempts=0, max_event_age_seconds=60, region_name=REGION,
    )  # fmt: skip
    ledger = DynamoDBLedger(LedgerConfig(LIST_TABLE), region=REGION)

    def page_all(list_page: Any) -> float:
        started, token, seen = time.perf_counter(), None, 0
        while True:
            page = list_page(token)
            seen += len(page.tasks)
            token = page.next_token
            if token is None:
                break
        assert seen == tasks, seen
        return time.perf_counter() - started

    schedules, ledgers = [], []
    for _ in range(3):
        schedules.append(page_all(lambda t: adapter.list(page_size=100, next_token=t)))
        ledgers.append(page_all(lambda t: ledger.list_tasks(page_size=100, next_token=t)))
    print(f"list_{tasks}_getschedule_seconds {min(schedules):.3f}")
    print(f"list_{tasks}_ledger_seconds {min(ledgers):.3f}")
    print(f"list_ratio {min(ledgers) / min(schedules):.3f}")


def creation(hook: str, count: int) -> None:
    """Task creation through the API (TestClient, in process) with the ledger and without."""
    from fastapi.testclient import TestClient

    from api_app.app import create_app
    from shared.settings import Settings

    boto3.client("scheduler", region_name=REGION).create_schedule_group(Name="bench-create")
    base = {
        "aws_region": REGION,
        "schedule_group_name": "bench-create",
        "scheduler_role_arn": ARN,
        "api_call_function_arn": ARN,
        "dead_letter_queue_arn": ARN,
        "api_base_url": hook.rsplit("/", 1)[0],
        "api_tokens": ("bench",),
        "signing_secrets": (SECRET,),
    }
    apps = {
        "bare": create_app(Settings.model_validate(base)),
        "ledger": create_app(Settings.model_validate({**base, "ledger_table_name": TABLE})),
    }
    clients = {
        mode: TestClient(app, headers={"Authorization": "Bearer bench"})
        for mode, app in apps.items()
    }
    timings: dict[str, list[float]] = {mode: [] for mode in apps}
    for index in range(count + 10):
        for mode, client in clients.items():
            started = time.perf_counter()
            response = client.post("/api/v1/tasks", json={"delay_seconds": 600, "target_url": hook})
            elapsed = time.perf_counter() - started
            assert response.status_code == 201, response.text
            if index >= 10:
                timings[mode].append(elapsed)
    for mode, samples in timings.items():
        print(f"create_{mode}_p50_ms {p(samples, 0.5) * 1e3:.2f}")
    print(f"create_ratio {p(timings['ledger'], 0.5) / p(timings['bare'], 0.5):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deliveries", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--creates", type=int, default=100)
    args = parser.parse_args()
    with moto_server() as endpoint, target() as hook, instant_dynamodb() as instant:
        env = environment(endpoint, hook)
        os.environ.update(env)
        create_ledger_table(boto3.client("dynamodb", region_name=REGION), TABLE)
        warm_deliveries(hook, args.deliveries, endpoint, instant)
        if args.cold_runs:
            cold_starts(env, hook, args.cold_runs)
        creation(hook, args.creates)
        listing(args.tasks)


if __name__ == "__main__":
    main()
