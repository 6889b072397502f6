"""Secrets read at delivery time from Secrets Manager (moto), cached with a short TTL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from shared.delivery.config import DeliveryConfig
from shared.delivery.core import deliver
from shared.delivery.event import ApiCallRequest
from shared.delivery.signing import verify_signature
from shared.environment import split_list
from shared.exceptions import BackendUnavailableError, RetryableDeliveryError
from shared.secrets import fetch_secret_string, region_of_arn, resolve_secret
from tests.shared.delivery.receiver import CALLBACK_PATH, Receiver
from tests.support import fake_aws_credentials

REGION = "us-east-1"


@pytest.fixture
def secretsmanager(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    fake_aws_credentials(monkeypatch, REGION)
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)


def test_split_and_region() -> None:
    assert split_list(" a, b\nc ,,") == ("a", "b", "c")
    assert region_of_arn("arn:aws:secretsmanager:eu-west-1:1:secret:x", "us-east-1") == "eu-west-1"
    assert region_of_arn("plain-name", "us-east-1") == "us-east-1"


def test_deliver_signs_with_every_secret_of_the_arn(
    secretsmanager: Any, receiver: Receiver
) -> None:
    arn = secretsmanager.create_secret(
        Name="signing", SecretString=f"{receiver.secrets[0]},\n{receiver.secrets[1]}"
    )["ARN"]
    token_arn = secretsmanager.create_secret(Name="bearer", SecretString=" tok-from-sm \n")["ARN"]
    config = DeliveryConfig(
        api_base_url=receiver.base_url,
        signing_secrets_arn=arn,
        target_bearer_token="ignored-when-arn-set",
        target_bearer_token_arn=token_arn,
        aws_region=REGION,
    )
    deliver(ApiCallRequest(target_url=receiver.url(CALLBACK_PATH)), config=config)
    [got] = receiver.requests
    assert got.headers["Authorization"] == "Bearer tok-from-sm"
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    for secret in receiver.secrets:
        verify_signature(got.body, got.headers, [secret])


def test_values_are_cached_until_the_ttl_passes(secretsmanager: Any) -> None:
    arn = secretsmanager.create_secret(Name="c", SecretString="v1")["ARN"]
    now = [100.0]

    def clock() -> float:
        return now[0]

    assert fetch_secret_string(arn, region=REGION, ttl_seconds=60, clock=clock) == "v1"
    secretsmanager.put_secret_value(SecretId=arn, SecretString="v2")
    now[0] = 159.0
    assert fetch_secret_string(arn, region=REGION, ttl_seconds=60, clock=clock) == "v1"
    now[0] = 161.0
    assert fetch_secret_string(arn, region=REGION, ttl_seconds=60, clock=clock) == "v2"


def test_unreadable_secret_is_a_backend_error_naming_only_the_arn(secretsmanager: Any) -> None:
    missing = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:nope-AbCdEf"
    with pytest.raises(BackendUnavailableError, match="nope"):
        resolve_secret(None, missing, region=REGION)


def test_unreadable_signing_secret_makes_delivery_retryable(
    secretsmanager: Any, receiver: Receiver
) -> None:
    config = DeliveryConfig(
        api_base_url=receiver.base_url,
        signing_secrets_arn=f"arn:aws:secretsmanager:{REGION}:123456789012:secret:gone-AbCdEf",
        aws_region=REGION,
    )
    with pytest.raises(RetryableDeliveryError):
        deliver(ApiCallRequest(target_url=receiver.url(CALLBACK_PATH)), config=config)
    assert receiver.requests == []


class FlakySecretsManager:
    """A Secrets Manager stand-in that can fail, or hold a refresh until released."""

    def __init__(self) -> None:
        self.calls = 0
        self.failing = False
        self.release = threading.Event()
        self.release.set()
        self.value = "v1"

    def get_secret_value(self, SecretId: str) -> dict[str, str]:  # noqa: N803 - boto's name
        self.calls += 1
        self.release.wait(5)
        if self.failing:
            raise ConnectionError("endpoint unreachable")
        return {"SecretString": self.value}


def test_a_blip_after_the_ttl_serves_the_last_good_value_for_a_bounded_time() -> None:
    from shared.secrets import MAX_STALE_SECONDS, clear_secret_cache

    clear_secret_cache()
    sm, now = FlakySecretsManager(), [0.0]

    def read() -> str:
        return fetch_secret_string("arn:blip", region=REGION, ttl_seconds=300, client=sm,
                                   clock=lambda: now[0])  # fmt: skip

    assert read() == "v1"
    sm.failing = True
    now[0] = 300.0 + MAX_STALE_SECONDS - 1.0  # past the TTL, within the stale bound
    assert read() == "v1"
    now[0] = 300.0 + MAX_STALE_SECONDS + 1.0  # too old to trust: the failure shows
    with pytest.raises(BackendUnavailableError):
        read()
    sm.failing, sm.value = False, "v2"
    assert read() == "v2"
    assert MAX_STALE_SECONDS == 900.0
    clear_secret_cache()


def test_only_one_refresh_at_a_time_others_get_the_last_good_value() -> None:
    from shared.secrets import clear_secret_cache

    clear_secret_cache()
    sm, now = FlakySecretsManager(), [0.0]

    def read() -> str:
        return fetch_secret_string("arn:one", region=REGION, ttl_seconds=300, client=sm,
                                   clock=lambda: now[0])  # fmt: skip

    read()
    now[0] = 301.0
    sm.release.clear()  # the next refresh hangs until released
    sm.value = "v2"
    slow = threading.Thread(target=read)
    slow.start()
    deadline = time.monotonic() + 5
    while sm.calls < 2 and time.monotonic() < deadline:
        time.sleep(0.001)
    started = time.monotonic()
    seen = [read() for _ in range(20)]  # while the refresh hangs
    assert time.monotonic() - started < 1.0  # nobody waited for it
    assert seen == ["v1"] * 20
    assert sm.calls == 2  # one initial read, one refresh in progress
    sm.release.set()
    slow.join(5)
    assert read() == "v2"
    assert sm.calls == 2
    clear_secret_cache()
