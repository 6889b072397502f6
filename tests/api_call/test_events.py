"""Every file in events/api_call runs through the handler exactly as SAM passes it.

The events target ``127.0.0.1:8000`` (the API of a local run). The receiver listens on
that port when it is free; when it is not (a developer's API is running), it listens on a
free port and the port of ``target_url`` is the one thing rewritten. The expected outcome
of each file is read from the table in ``events/api_call/README.md``.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from api_call.handler import lambda_handler
from tests.api_call.conftest import DeadLetterQueue, FakeLambdaContext
from tests.shared.delivery.receiver import Receiver, port_is_free, running_receiver

EVENTS = Path(__file__).resolve().parents[2] / "events" / "api_call"
EVENT_PORT = 8000
ROW = re.compile(r"^\|\s*`(?P<file>[^`]+\.json)`\s*\|\s*(?P<outcome>[^|]+?)\s*\|")


def documented_outcomes() -> dict[str, str]:
    rows = (ROW.match(line) for line in (EVENTS / "README.md").read_text().splitlines())
    return {row["file"]: row["outcome"] for row in rows if row}


EVENT_FILES = sorted(path.name for path in EVENTS.glob("*.json"))


def test_every_event_file_has_a_documented_outcome() -> None:
    assert EVENT_FILES
    assert set(EVENT_FILES) == set(documented_outcomes())


@pytest.fixture(scope="module")
def event_receiver() -> Iterator[Receiver]:
    secrets = ("whsec_" + base64.b64encode(os.urandom(32)).decode(),)
    port = EVENT_PORT if port_is_free(EVENT_PORT) else 0
    with running_receiver(secrets, port=port) as server:
        yield server


def as_sam_passes_it(name: str, receiver: Receiver) -> Any:
    with (EVENTS / name).open() as handle:
        event = json.load(handle)
    target = event.get("target_url") if isinstance(event, dict) else None
    if receiver.port != EVENT_PORT and isinstance(target, str):
        parts = urlsplit(target)
        if parts.hostname == "127.0.0.1" and parts.port == EVENT_PORT:
            event["target_url"] = urlunsplit(parts._replace(netloc=f"127.0.0.1:{receiver.port}"))
    return event


@pytest.mark.parametrize("name", EVENT_FILES)
def test_event_file_has_its_documented_outcome(
    name: str,
    event_receiver: Receiver,
    dead_letter_queue: DeadLetterQueue,
    lambda_context: FakeLambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("API_BASE_URL", f"http://127.0.0.1:{EVENT_PORT}")
    monkeypatch.setenv("SIGNING_SECRETS", ",".join(event_receiver.secrets))
    event_receiver.requests.clear()
    event = as_sam_passes_it(name, event_receiver)
    kind, _, detail = documented_outcomes()[name].partition(" ")

    result = lambda_handler(event, lambda_context)

    body = json.loads(result["body"])
    if kind == "delivered":
        assert result == {
            "statusCode": int(detail),
            "body": json.dumps({"success": True, "api_status": int(detail)}),
        }
        [request] = event_receiver.requests
        assert request.headers["webhook-id"].startswith("msg_")
        assert dead_letter_queue.messages() == []
    else:
        assert kind == "dead-lettered"
        assert body["success"] is False
        [record] = dead_letter_queue.messages()
        assert record["requestPayload"] == event
        payload = record["responsePayload"]
        if detail.isdigit():
            assert payload["status"] == int(detail)
            assert len(event_receiver.requests) == 1
        else:
            assert event_receiver.requests == []
            assert payload["reason"] == detail
