"""What the `sam local` containers talk to on this machine, bound to the Docker bridge only.

The containers reach the host at the bridge's gateway address (``host.docker.internal`` with
``--add-host host.docker.internal:host-gateway``). Binding there, not to 0.0.0.0, keeps both
servers off every other network: a moto server (the AWS APIs, given to the functions as
``AWS_ENDPOINT_URL``) and the API under uvicorn (the receiver of API_CALL_LAMBDA's calls).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

ROOT = Path(__file__).resolve().parents[2]
ENV_FILE = ROOT / "events" / "env.json"
REGION = "ap-northeast-2"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


def bridge_gateway() -> str:
    """The default Docker bridge's gateway address (where containers reach the host)."""
    out = subprocess.run(
        [
            "docker",
            "network",
            "inspect",
            "bridge",
            "--format",
            "{{(index .IPAM.Config 0).Gateway}}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return out.stdout.strip()


def free_port(host: str) -> int:
    """A TCP port nothing listens on at ``host`` right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(url: str, seconds: float) -> None:
    """Return when ``url`` answers at all; raise ``TimeoutError`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer within {seconds} s") from None
            time.sleep(0.3)


def env_file() -> dict[str, dict[str, str]]:
    """events/env.json, the --env-vars file the README uses."""
    loaded: dict[str, dict[str, str]] = json.loads(ENV_FILE.read_text(encoding="utf-8"))
    return loaded


class Emulator:
    """A moto server with the schedule group and dead-letter queue events/env.json name."""

    def __init__(self, host: str) -> None:
        self.port = free_port(host)
        self.url = f"http://{host}:{self.port}"
        self.server = ThreadedMotoServer(ip_address=host, port=self.port, verbose=False)
        api, api_call = env_file()["ApiFunction"], env_file()["ApiCallFunction"]
        self.group = api["SCHEDULE_GROUP_NAME"]
        self.queue_name = api_call["DEAD_LETTER_QUEUE_URL"].rsplit("/", 1)[-1]

    def scheduler(self) -> Any:
        """A scheduler client of the emulator."""
        return boto3.client(
            "scheduler",
            region_name=REGION,
            endpoint_url=self.url,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def sqs(self) -> Any:
        """An SQS client of the emulator."""
        return boto3.client(
            "sqs",
            region_name=REGION,
            endpoint_url=self.url,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    @contextmanager
    def running(self) -> Iterator[Emulator]:
        self.server.start()
        try:
            self.scheduler().create_schedule_group(Name=self.group)
            self.queue_url = self.sqs().create_queue(QueueName=self.queue_name)["QueueUrl"]
            yield self
        finally:
            self.server.stop()

    def dead_letters(self) -> list[dict[str, Any]]:
        """Every message in the delivery dead-letter queue, as parsed JSON bodies."""
        sqs = self.sqs()
        found: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            messages = batch.get("Messages", [])
            if not messages:
                return found
            found += [json.loads(m["Body"]) for m in messages]


@contextmanager
def receiver(host: str, port: int, log: Path) -> Iterator[str]:
    """The API under uvicorn at ``host:port`` (its callback route verifies the signatures)."""
    env = {**os.environ, **env_file()["ApiFunction"], **CREDENTIALS}
    env["PYTHONPATH"] = os.pathsep.join(["src", "functions/api", "functions/api_call", "."])
    argv = [sys.executable, "-m", "uvicorn", "api_app.main:app", "--host", host]
    with log.open("w") as out:
        process = subprocess.Popen(
            [*argv, "--port", str(port)], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    try:
        wait_for(f"http://{host}:{port}/health", 30)
        yield f"http://{host}:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
