"""What the ledger costs API_CALL_LAMBDA, and what it saves the listing, against baselines.

    make sam-build   # the cold runs use its output (--cold-runs 0 skips them)
    PYTHONPATH=src:functions/api:functions/api_call:. .venv/bin/python -m bench.ledger \
        [--deliveries 200] [--tasks 1000] [--cold-runs 5] [--creates 100] [--only PART]

Everything AWS is a ``moto_server`` subprocess on 127.0.0.1, DynamoDB on a second one (its
own service, as on AWS): one HTTP round trip per call with no network in between; the
target is a local HTTP server answering 200.

- ``delivery_*``: warm API_CALL_LAMBDA invocations in this process, the ledger on
  (``LEDGER_TABLE_NAME`` set: one UpdateItem before the call, one TransactWriteItems after)
  and off, interleaved so machine noise hits all alike. ``ratio`` = ledger on moto p50 /
  bare p50; ``ratio_instant``: the same against a stub DynamoDB on 127.0.0.1 that answers
  at once (our own cost: botocore, signing, two loopback round trips).
- ``cold_*``: as ``bench/cold_start.py`` measures (its helpers): the `make sam-build`
  output run by Python 3.13 with no site-packages, the function folder, the layer and a
  stand-in for Lambda's ``/var/runtime`` (boto3, botocore and their dependencies from the
  API's build) on the path; a fresh interpreter per run, timed inside (wall and CPU),
  medians over ``--cold-runs``, modes interleaved. ``ledger``: import the handler and
  make the first delivery of a task (the DynamoDB client is built on that delivery, then
  its UpdateItem and TransactWriteItems). ``bare_libraries``: the same third-party modules
  imported bare (every library module the ledger run loads), the client built as plainly
  as those libraries allow, the recorder's two calls with the same parameters (captured
  from ``AttemptRecorder``) and one ``standardwebhooks``-signed ``urllib3`` POST.
  ``cold_ratio`` = ledger / bare_libraries (issue 15's goal: <= 1.25, what our modules and
  wiring add); ``cold_vs_no_ledger_ratio`` = ledger / the same handler without a ledger
  (what the ledger costs in all). ``client_boto3``/``client_botocore``: importing and
  building the DynamoDB client through a boto3 session (before) and botocore (now).
- ``list_*``: paging through ``--tasks`` tasks 100 at a time: from the ledger (one Query
  per page) and as before (ListSchedules, then one GetSchedule per task, 8 in parallel).
  ``list_ratio`` = ledger / GetSchedule.
- ``create_*``: ``POST /api/v1/tasks`` (no client token) through the API app: with the
  ledger (the conditional PutItem on another thread while CreateSchedule runs), with the
  ledger in turn (CreateSchedule, then PutItem: the path before, still taken with a client
  token) and without. ``create_ratio`` = ledger p50 / bare p50 (issue 15's goal: <= 1.3);
  ``create_in_turn_ratio`` the same for the path before. ``create_10ms_*``: the same three
  against Scheduler and DynamoDB stubs that answer after 10 ms of pure waiting (a service's
  time as network and server, not this machine's CPU, which moto's is).
Prints ``name value`` lines.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
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

from bench.cold_start import CONTEXT, OURS, SIGNED_POST, TIMED, python313, run_child, stale_sources
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
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a loaded machine: do not leave it running
            proc.kill()
            proc.wait(timeout=10)


def environment(endpoint: str, dynamodb: str, hook: str) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb,  # its own server, as DynamoDB is its own service
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
                os.environ["LEDGER_TABLE_NAME"], os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = table
            event = {"target_url": hook, "task_id": f"task-{mode}-{index}", "body": {"n": index}}
            started = time.perf_counter()
            result = lambda_handler(event, context)
            elapsed = time.perf_counter() - started
            assert result["statusCode"] == 200, result
            if index >= 20:  # the first ones build the pools and the client
                timings[mode].append(elapsed)
    os.environ.pop("LEDGER_TABLE_NAME", None)
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = moto
    for mode, samples in timings.items():
        print(f"delivery_{mode}_p50_ms {p(samples, 0.5) * 1e3:.2f}")
        print(f"delivery_{mode}_p99_ms {p(samples, 0.99) * 1e3:.2f}")
    extra = p(timings["ledger"], 0.5) - p(timings["bare"], 0.5)
    print(f"delivery_ledger_extra_ms {extra * 1e3:.2f}")
    print(f"ratio {p(timings['ledger'], 0.5) / p(timings['bare'], 0.5):.2f}")
    print(f"ratio_instant {p(timings['instant'], 0.5) / p(timings['bare'], 0.5):.2f}")


# Cold start on the built artifacts (what Lambda loads), as bench/cold_start.py measures it.
BUILD = ROOT / ".aws-sam" / "build"
# The Lambda Python runtime brings boto3 and its dependencies in /var/runtime, after the
# function and the layer on the path; the API's build has the locked ones (compiled alike).
RUNTIME_LIBRARIES = ("boto3", "botocore", "dateutil", "jmespath", "s3transfer", "six.py")
COLD_TASK = "cold-bare"  # the baseline's task id (the candidate's are cold-<ns>)
LISTED = (
    "\nimport sys\n"
    "roots = {roots!r}\n"
    "for name, module in list(sys.modules.items()):\n"
    "    path = getattr(module, '__file__', None) or ''\n"
    "    if any(path.startswith(root) for root in roots) and name.split('.')[0] not in {ours!r}:\n"
    "        print('MODULE', name)\n"
)


def cold_candidate(hook: str) -> str:
    """Import the handler and make the first delivery of a task (a fresh task id)."""
    return (
        CONTEXT + "import api_call.handler as h\n"
        f"event = {{'target_url': {hook!r}, 'body': {{'n': 1}}}}\n"
        "event['task_id'] = f'cold-run-{_t.time_ns()}'\n"
        "r = h.lambda_handler(event, Ctx())\n"
        "assert r['statusCode'] == 200, r\n"
    )


def recorder_calls() -> list[tuple[str, dict[str, Any]]]:
    """The two DynamoDB calls the recorder makes for one delivered one-time attempt, with
    their exact parameters (captured from ``AttemptRecorder`` with a recording client)."""
    from shared.ledger.recorder import AttemptRecorder
    from shared.ledger.types import ONE_TIME_TICK, AttemptRecord

    calls: list[tuple[str, dict[str, Any]]] = []

    class Recording:
        def update_item(self, **params: Any) -> dict[str, Any]:
            calls.append(("update_item", params))
            return {"Attributes": {"attempt_count": {"N": "1"}}}

        def transact_write_items(self, **params: Any) -> dict[str, Any]:
            calls.append(("transact_write_items", params))
            return {}

    recorder = AttemptRecorder(LedgerConfig(TABLE), logging.getLogger("bench"), client=Recording())
    now = datetime.now(UTC)
    start = recorder.start(COLD_TASK, recurring=False, tick=ONE_TIME_TICK, now=now)
    record = AttemptRecord(
        COLD_TASK, ONE_TIME_TICK, start.attempt_number, now, 3, "delivered", 200, None, "ok",
        "msg_2Vg1fYJb4N4rPqnL9cF8ytj3kAa", "bench",
    )  # fmt: skip
    assert recorder.finish(record, recurring=False)
    return calls


# What the ledger's client cost before (a boto3 session) and costs now (botocore alone):
# the import and the client, in a fresh process, nothing else.
CLIENT = (
    "import botocore.config\n"
    "_config = botocore.config.Config(connect_timeout=1, read_timeout=2, "
    "retries={{'mode': 'standard', 'total_max_attempts': 2}})\n"
    "client = {client}\n"
)
BOTO3_CLIENT = (
    "__import__('boto3').session.Session(region_name='ap-northeast-2')"
    ".client('dynamodb', config=_config)"
)
BOTOCORE_CLIENT = (
    "__import__('botocore.session').session.get_session()"
    ".create_client('dynamodb', region_name='ap-northeast-2', config=_config)"
)


def cold_baseline(libraries: list[str], hook: str) -> str:
    """The same libraries bare: import them, build the DynamoDB client as plainly as they
    allow (same timeouts and retries), make the recorder's two calls, one signed POST."""
    client = (
        "boto3.session.Session(region_name=_region).client('dynamodb', config=_config)"
        if "boto3" in libraries
        else "botocore.session.get_session().create_client('dynamodb', region_name=_region, "
        "config=_config)"
    )
    return "\n".join(
        [
            *(f"import {name}" for name in libraries),
            "import os, botocore.config, botocore.session",
            "_region = os.environ['AWS_REGION']",
            "_config = botocore.config.Config(connect_timeout=1, read_timeout=2, "
            "retries={'mode': 'standard', 'total_max_attempts': 2})",
            f"client = {client}",
            f"for name, params in {recorder_calls()!r}:",
            "    getattr(client, name)(**params)",
            SIGNED_POST.format(secret=SECRET, url=hook),
        ]
    )


def runtime_folder(build: Path, into: Path) -> Path:
    """A stand-in for Lambda's /var/runtime: boto3 and its dependencies from the build."""
    into.mkdir()
    for name in RUNTIME_LIBRARIES:
        (into / name).symlink_to(build / "ApiFunction" / name)
    return into


def timed_child(body: str, env: dict[str, str]) -> tuple[float, float]:
    """Run ``body`` in a fresh Python 3.13 on the build; return its wall and CPU seconds. A
    ledger write that failed (logged, delivery unharmed) would void the figure: raise."""
    done = run_child(TIMED.format(body=body), env)
    assert "ledger write failed" not in done.stdout, done.stdout[-2000:]
    line = [row for row in done.stdout.splitlines() if row.startswith("SECONDS ")][-1]
    _, wall, cpu = line.split()
    return float(wall), float(cpu)


def cold_starts(endpoints: tuple[str, str], hook: str, runs: int, python: str | None) -> None:
    """``cold_*`` on the `make sam-build` output, Python 3.13, no site-packages."""
    build = BUILD.resolve()
    if not (build / "SharedLayer" / "python" / "shared").is_dir():
        raise SystemExit(f"no `sam build` output in {build}: run `make sam-build` first")
    stale = stale_sources(build)
    if stale:
        raise SystemExit(f"{build} is older than {stale[0]} (and {len(stale) - 1} more): rebuild")
    with tempfile.TemporaryDirectory(prefix="ledger-cold-") as scratch:
        runtime = runtime_folder(build, Path(scratch) / "runtime")
        (Path(scratch) / "cwd").mkdir()
        paths = [build / "ApiCallFunction", build / "SharedLayer" / "python", runtime]
        env = {
            **environment(*endpoints, hook),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONPATH": os.pathsep.join(str(path) for path in paths),
            "POWERTOOLS_SERVICE_NAME": "api-call",
            "LEDGER_TABLE_NAME": TABLE,
            "BENCH_PYTHON": python313(python),
            "BENCH_CWD": str(Path(scratch) / "cwd"),
        }
        candidate = cold_candidate(hook)
        listed = run_child(
            TIMED.format(body=candidate)
            + LISTED.format(roots=[str(path) for path in paths], ours=OURS),
            env,
        ).stdout.splitlines()
        libraries = [line.split()[1] for line in listed if line.startswith("MODULE ")]
        print(f"cold_third_party_modules {len(libraries)}")
        print(f"cold_boto3_imported {int('boto3' in libraries)}")
        modes = {
            "bare_libraries": (cold_baseline(libraries, hook), env),
            "ledger": (candidate, env),
            "no_ledger": (candidate, {**env, "LEDGER_TABLE_NAME": ""}),
            "client_boto3": (CLIENT.format(client=BOTO3_CLIENT), env),
            "client_botocore": (CLIENT.format(client=BOTOCORE_CLIENT), env),
        }
        for body, child in modes.values():
            timed_child(body, child)  # file cache; not counted
        samples: dict[str, list[tuple[float, float]]] = {mode: [] for mode in modes}
        for _ in range(runs):
            for mode, (body, child) in modes.items():
                samples[mode].append(timed_child(body, child))
    check_cold_writes(runs + 2)
    for index, kind in enumerate(("", "_cpu")):
        median = {
            mode: statistics.median(s[index] for s in runs_) for mode, runs_ in samples.items()
        }
        for mode, value in median.items():
            what = "" if mode.startswith("client_") else "_first_delivery"
            print(f"cold_{mode}{what}{kind}_seconds {value:.3f}")
        each = " ".join(
            f"{ours[index] / bare[index]:.2f}"
            for ours, bare in zip(samples["ledger"], samples["bare_libraries"], strict=True)
        )
        print(f"cold{kind}_ratio_each_run {each}")
        print(f"cold{kind}_ratio {median['ledger'] / median['bare_libraries']:.2f}")
        print(f"cold{kind}_vs_no_ledger_ratio {median['ledger'] / median['no_ledger']:.2f}")


def check_cold_writes(deliveries: int) -> None:
    """Every cold delivery with the ledger recorded its task as delivered, and the baseline
    made its writes: the figures are of work actually done."""
    client = boto3.client("dynamodb", region_name=REGION)
    items = client.scan(TableName=TABLE)["Items"]
    done = [
        item for item in items
        if item["pk"]["S"].startswith("cold-run-") and item["sk"]["S"] == "TASK"
        and item["task_status"]["S"] == "delivered"
    ]  # fmt: skip
    assert len(done) == deliveries, (len(done), deliveries)
    bare = client.get_item(TableName=TABLE, Key={"pk": {"S": COLD_TASK}, "sk": {"S": "TASK"}})
    assert int(bare["Item"]["attempt_count"]["N"]) == deliveries - 1, bare


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


def creation(hook: str, count: int, label: str = "") -> None:
    """Task creation through the API (TestClient, in process) with the ledger and without;
    ``label`` names the figures of another pair of endpoints."""
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
    ledgered = {**base, "ledger_table_name": TABLE}
    apps = {
        "bare": create_app(Settings.model_validate(base)),
        "ledger": create_app(Settings.model_validate(ledgered)),
        "ledger_in_turn": create_app(Settings.model_validate(ledgered)),
    }
    in_turn = apps["ledger_in_turn"].state.task_scheduler.scheduler()  # built on first use
    in_turn.inner = InTurn(in_turn.inner)
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
    name = f"create_{label}_" if label else "create_"
    for mode, samples in timings.items():
        print(f"{name}{mode}_p50_ms {p(samples, 0.5) * 1e3:.2f}")
    bare = p(timings["bare"], 0.5)
    print(f"{name}ratio {p(timings['ledger'], 0.5) / bare:.2f}")
    print(f"{name}in_turn_ratio {p(timings['ledger_in_turn'], 0.5) / bare:.2f}")


class _SlowAws(BaseHTTPRequestHandler):
    """Scheduler and DynamoDB answering after ``delay`` seconds of pure waiting: a service
    whose time is network and server, not this machine's CPU (which moto's is)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    delay = 0.010

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_POST(self) -> None:
        sent = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(self.delay)
        body = b"{}"
        if self.path.startswith("/schedules/"):  # CreateSchedule: POST /schedules/{Name}
            name = self.path.split("?")[0].split("/")[2]
            group = json.loads(sent or b"{}").get("GroupName", "default")
            arn = f"arn:aws:scheduler:{REGION}:123456789012:schedule/{group}/{name}"
            body = json.dumps({"ScheduleArn": arn}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def slow_aws() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowAws)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class InTurn:
    """The EventBridge adapter without its plan/submit methods: ``LedgeredScheduler`` then
    creates in turn (CreateSchedule, then PutItem), as it did before the two ran at once,
    and as it still does for a ``client_token``."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        if name in ("plan_one_time", "plan_recurring", "submit"):
            raise AttributeError(name)
        return getattr(self._inner, name)


PARTS = ("delivery", "cold", "create", "list")
ENDPOINTS = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deliveries", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--creates", type=int, default=100)
    parser.add_argument(
        "--python", help="Python 3.13 for the cold runs (default: as `make sam-build`)"
    )
    parser.add_argument(
        "--only", choices=PARTS, action="append", help="run only these parts (repeatable)"
    )
    args = parser.parse_args()
    parts = set(args.only or PARTS)
    with (
        moto_server() as endpoint,
        moto_server() as dynamodb,
        target() as hook,
        instant_dynamodb() as instant,
    ):
        env = environment(endpoint, dynamodb, hook)
        os.environ.update(env)
        create_ledger_table(boto3.client("dynamodb", region_name=REGION), TABLE)
        if "delivery" in parts:
            warm_deliveries(hook, args.deliveries, dynamodb, instant)
        if "cold" in parts and args.cold_runs:
            cold_starts((endpoint, dynamodb), hook, args.cold_runs, args.python)
        if "create" in parts:
            creation(hook, args.creates)
            with slow_aws() as slow:
                saved = {name: os.environ[name] for name in ENDPOINTS}
                os.environ.update(dict.fromkeys(ENDPOINTS, slow))
                creation(hook, args.creates, label="10ms")
                os.environ.update(saved)
        if "list" in parts:
            listing(args.tasks)


if __name__ == "__main__":
    main()
