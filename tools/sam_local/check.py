"""Run the README's `sam local` commands against a Docker engine; PASS/FAIL per case.

SAM exits 0 even when the function fails or answers an error, so every case reads the
function's answer itself. Needs a Docker engine, the Lambda Python 3.13 base image (or its
offline stand-in; hence ``--skip-pull-image``) and ``make sam-build`` (``make sam-local-check``
runs it). Exits 1 when any case fails.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tools.sam_local.hosts import (
    CREDENTIALS,
    ENV_FILE,
    REGION,
    ROOT,
    Emulator,
    bridge_gateway,
    env_file,
    free_port,
    receiver,
    wait_for,
)

SAM = str(ROOT / ".venv-sam" / "bin" / "sam")
HOST_GATEWAY = ["--add-host", "host.docker.internal:host-gateway"]
RECEIVER_PORT = 8000  # events/env.json: ApiCallFunction's API_BASE_URL


class Check:
    """Collects PASS/FAIL lines."""

    def __init__(self) -> None:
        self.failed = 0

    def case(self, name: str, test: Callable[[], str]) -> None:
        try:
            detail = test()
        except Exception as exc:  # any failure of a case is reported, never raised
            self.failed += 1
            print(f"FAIL {name}: {type(exc).__name__}: {exc}", flush=True)
        else:
            print(f"PASS {name}: {detail}", flush=True)


def sam_env() -> dict[str, str]:
    return {**os.environ, **CREDENTIALS, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": REGION}


def invoke(function: str, event: Path, overrides: list[str]) -> dict[str, Any]:
    argv = [SAM, "local", "invoke", function, "-e", str(event), "--env-vars", str(ENV_FILE)]
    argv += ["--skip-pull-image", *HOST_GATEWAY, "--region", REGION, *overrides]
    print("$", " ".join(argv[1:]).replace(str(ROOT) + "/", ""), flush=True)
    done = subprocess.run(
        argv, cwd=ROOT, env=sam_env(), capture_output=True, text=True, timeout=300, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"sam exited {done.returncode}: {done.stderr[-1500:]}")
    answer: dict[str, Any] = json.loads(lines[-1])
    return answer


@contextmanager
def start_api(env_vars: Path, overrides: list[str]) -> Iterator[str]:
    port = free_port("127.0.0.1")
    argv = [SAM, "local", "start-api", "--env-vars", str(env_vars), "--skip-pull-image"]
    argv += [*HOST_GATEWAY, "--region", REGION, "--port", str(port), *overrides]
    print("$", " ".join(argv[1:]).replace(str(ROOT) + "/", ""), flush=True)
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(argv, cwd=ROOT, env=sam_env(), stdout=log, stderr=log)
        try:
            wait_for(f"http://127.0.0.1:{port}/health", 180)
            yield f"http://127.0.0.1:{port}"
        finally:
            # Ctrl-C: SAM stops and removes its warm containers (SIGTERM can leave one behind).
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)


def http(method: str, url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    token = env_file()["ApiFunction"]["API_TOKENS"]
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def on_host(name: str, folder: Path) -> Path:
    """events/api_call/<name> aimed at the host: 127.0.0.1 in a container is the container."""
    text = (ROOT / "events" / "api_call" / name).read_text(encoding="utf-8")
    path = folder / name
    path.write_text(text.replace("//127.0.0.1:8000", f"//host.docker.internal:{RECEIVER_PORT}"))
    return path


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def run_cases(check: Check, moto: Emulator, folder: Path, receiver_log: Path) -> None:
    local = [
        "--parameter-overrides",
        f"SamLocalAwsEndpointUrl=http://host.docker.internal:{moto.port}",
    ]
    events = ROOT / "events" / "api"

    def health() -> str:
        answer = invoke("ApiFunction", events / "health.json", [])
        expect(answer["statusCode"] == 200, str(answer))
        return f"{answer['statusCode']} {answer['body']}"

    def create() -> str:
        answer = invoke("ApiFunction", events / "create_delay.json", local)
        expect(answer["statusCode"] == 201, str(answer))
        task_id = json.loads(answer["body"])["task_id"]
        moto.scheduler().get_schedule(Name=task_id, GroupName=moto.group)
        return f"201, schedule {task_id} is in group {moto.group}"

    def delivered() -> str:
        answer = invoke("ApiCallFunction", on_host("delivered.json", folder), local)
        expect(json.loads(answer["body"]) == {"success": True, "api_status": 200}, str(answer))
        seen = 'POST /api/v1/tasks/callback HTTP/1.1" 200' in receiver_log.read_text()
        expect(seen, "the receiver on the host logged no verified callback")
        return f"{answer['body']}; the host's callback route verified the signature"

    def permanent() -> str:
        answer = invoke("ApiCallFunction", on_host("permanent_404.json", folder), local)
        expect(json.loads(answer["body"])["success"] is False, str(answer))
        (record,) = moto.dead_letters()
        expect(record["requestContext"]["condition"] == "PermanentFailure", str(record))
        return f"{answer['body']}; dead letter status {record['responsePayload']['status']}"

    def served() -> str:
        with start_api(ENV_FILE, local) as api:
            status, body = http("GET", f"{api}/health")
            expect(status == 200, f"/health {status} {body}")
            status, task = http("POST", f"{api}/api/v1/tasks", {"delay_seconds": 600, "body": {}})
            expect(status == 201, f"create {status} {task}")
            status, got = http("GET", f"{api}/api/v1/tasks/{task['task_id']}")
            expect(status == 200, f"get {status} {got}")
        return f"/health 200, POST /api/v1/tasks 201, GET /api/v1/tasks/{task['task_id']} 200"

    def init_error() -> str:
        broken = env_file()
        broken["ApiFunction"]["API_BASE_URL"] = ""
        path = folder / "env-without-api-base-url.json"
        path.write_text(json.dumps(broken))
        with start_api(path, []) as api:
            status, body = http("GET", f"{api}/health")
        expect(status == 503 and body["code"] == "configuration_error", f"{status} {body}")
        return f"{status} {json.dumps(body)}"

    check.case("sam local invoke ApiFunction health.json -> 200", health)
    check.case("sam local invoke ApiFunction create_delay.json -> 201", create)
    check.case("sam local invoke ApiCallFunction delivered.json -> delivered", delivered)
    check.case("sam local invoke ApiCallFunction permanent_404.json -> dead letter", permanent)
    check.case("sam local start-api /health and a task creation", served)
    check.case("sam local start-api with an init error -> 503, not 200", init_error)


def sam_containers() -> set[str]:
    """Ids of the Lambda containers SAM runs now."""
    argv = ["docker", "ps", "-q", "--filter", "label=sam.cli.container.type=lambda"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True)
    return set(out.stdout.split())


def main() -> int:
    gateway = bridge_gateway()
    check = Check()
    before = sam_containers()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        log = folder / "receiver.log"
        print(f"# host services on the Docker bridge gateway {gateway}", flush=True)
        with Emulator(gateway).running() as moto, receiver(gateway, RECEIVER_PORT, log):
            run_cases(check, moto, folder, log)

    def cleaned_up() -> str:
        left = sam_containers() - before
        expect(not left, f"containers left running: {sorted(left)}")
        return "no Lambda container left running"

    check.case("sam local leaves nothing behind", cleaned_up)
    print("sam-local-check:", "FAILED" if check.failed else "all passed", flush=True)
    return 1 if check.failed else 0


if __name__ == "__main__":
    sys.exit(main())
