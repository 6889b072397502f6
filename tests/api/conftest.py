"""Fixtures for the API: settings, a moto-backed EventBridge Scheduler, an app and a client."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from moto import mock_aws

from api_app.app import create_app
from shared.settings import Settings
from tests.support import fake_aws_credentials

REGION = "ap-northeast-2"
ACCOUNT = "123456789012"
GROUP = "callback-scheduler-test"
TOKEN = "test-client-token"
SIGNING_SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
ROTATED_SECRET = "whsec_" + base64.b64encode(b"r" * 32).decode()
API_BASE_URL = "http://127.0.0.1:8000"


def make_settings(**overrides: Any) -> Settings:
    """Settings for an API on the EventBridge backend, as the template sets them."""
    values: dict[str, Any] = {
        "stage": "dev",
        "aws_region": REGION,
        "scheduler_backend": "eventbridge",
        "schedule_group_name": GROUP,
        "scheduler_role_arn": f"arn:aws:iam::{ACCOUNT}:role/scheduler-role",
        "api_call_function_arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:api-call",
        "dead_letter_queue_arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:delivery-dlq",
        "api_base_url": API_BASE_URL,
        "allowed_target_hosts": ("hooks.example.com",),
        "api_tokens": (TOKEN,),
        "signing_secrets": (SIGNING_SECRET, ROTATED_SECRET),
    }
    values.update(overrides)
    return Settings.model_validate(values)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto account with the schedule group; yields a scheduler client to inspect it."""
    fake_aws_credentials(monkeypatch, REGION)
    with mock_aws():
        client = boto3.client("scheduler", region_name=REGION)
        client.create_schedule_group(Name=GROUP)
        yield client


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
def app(aws: Any, settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as test_client:
        yield test_client


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def schedules(aws: Any) -> list[dict[str, Any]]:
    """Every schedule in the test group, as moto stores it."""
    names = [s["Name"] for s in aws.list_schedules(GroupName=GROUP)["Schedules"]]
    return [aws.get_schedule(Name=name, GroupName=GROUP) for name in names]
