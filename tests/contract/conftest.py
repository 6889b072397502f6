"""Two API apps, one per backend, module-wide: EventBridge with the DynamoDB ledger (moto), and
the local SQLite engine with its SQLite ledger."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from fastapi.testclient import TestClient
from moto import mock_aws

from api_app.app import create_app
from tests.api.conftest import GROUP, REGION, TOKEN, make_settings
from tests.shared.ledger.support import create_ledger_table

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


@dataclass
class Backends:
    """The same API on EventBridge (moto) and on the local backend."""

    eventbridge: TestClient
    local: TestClient


@pytest.fixture(scope="module")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backends]:
    saved = {name: os.environ.get(name) for name in FAKE_AWS}
    os.environ.update(FAKE_AWS)
    state: Path = tmp_path_factory.mktemp("local-state")
    try:
        with mock_aws():
            boto3.client("scheduler", region_name=REGION).create_schedule_group(Name=GROUP)
            table = create_ledger_table(boto3.client("dynamodb", region_name=REGION))
            auth = {"Authorization": f"Bearer {TOKEN}"}
            eventbridge_app = create_app(make_settings(ledger_table_name=table))
            local_app = create_app(
                make_settings(scheduler_backend="local", local_state_dir=str(state))
            )
            with (
                TestClient(eventbridge_app, headers=auth, raise_server_exceptions=False) as eb,
                TestClient(local_app, headers=auth, raise_server_exceptions=False) as local,
            ):
                yield Backends(eb, local)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
