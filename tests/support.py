"""Helpers shared by test packages: loading events, a Lambda context, a uvicorn server."""

from __future__ import annotations

import importlib
import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import uvicorn

from local.devserver.devenv import free_port as free_port

EVENTS = Path(__file__).resolve().parent.parent / "events"


def load_event(relative: str) -> dict[str, Any]:
    """Read ``events/<relative>`` exactly as ``sam local invoke -e`` would pass it."""
    event: dict[str, Any] = json.loads((EVENTS / relative).read_text())
    return event


def fake_aws_credentials(monkeypatch: Any, region: str) -> None:
    """Never reach a real account: fake keys, the test's region, no profile."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@dataclass
class FakeLambdaContext:
    """The attributes of a Lambda context object that handlers and Powertools read."""

    function_name: str = "callback-scheduler-test"
    function_version: str = "$LATEST"
    invoked_function_arn: str = (
        "arn:aws:lambda:ap-northeast-2:123456789012:function:callback-scheduler-test"
    )
    memory_limit_in_mb: int = 256
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    log_group_name: str = "/aws/lambda/callback-scheduler-test"
    log_stream_name: str = "2026/11/23/[$LATEST]abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@contextmanager
def serve(app: Any, port: int) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1:port in a thread; yield its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def fresh_import(module: str) -> ModuleType:
    """Import ``module`` anew so its module-level code reads the current environment."""
    from shared.settings import get_settings

    get_settings.cache_clear()
    sys.modules.pop(module, None)
    return importlib.import_module(module)
