"""One target that hangs uses only its own share: other targets' calls start on time."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from local.backend.hosts import HostLimits, target_key
from shared.delivery.event import ApiCallRequest
from shared.exceptions import ConfigurationError
from shared.scheduling.types import OneTimeTaskSpec
from tests.local.conftest import FAST, MakeScheduler
from tests.local.hanging import HangingServer
from tests.local.receiver import Receiver
from tests.local.server import Server

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def hanging() -> Iterator[HangingServer]:
    server = HangingServer()
    yield server
    server.close()


def at(url: str, due: datetime) -> OneTimeTaskSpec:
    return OneTimeTaskSpec(call=ApiCallRequest(target_url=url), run_at=due)


def test_a_hanging_target_does_not_delay_another_targets_calls(
    receiver: Receiver, hanging: HangingServer, make_scheduler: MakeScheduler
) -> None:
    # Before per-target lanes, 4 workers all hung on the first 4 calls for the 10 s timeout.
    config = replace(FAST, workers=16, host_limits=HostLimits(default=3))
    scheduler = make_scheduler(config)
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    for _ in range(20):  # due first, and far more than the hanging target's share
        scheduler.create_one_time(at(hanging.url("/hang"), due))
    healthy = [scheduler.create_one_time(at(receiver.url(f"/ok{i}"), due)) for i in range(5)]
    got = receiver.wait_for(5, timeout=6)
    assert len(got) == 5
    for arrival in got:
        assert arrival.arrived - due.timestamp() < 0.5  # on time, not after a 10 s timeout
    assert hanging.wait_connections(3, timeout=1) == 3  # its share, and no more
    time.sleep(0.3)
    assert hanging.connections == 3
    assert {t.task_id for t in healthy}  # created fine


def test_stop_cuts_hanging_calls_after_the_grace_and_they_run_again_at_start(
    hanging: HangingServer, make_scheduler: MakeScheduler
) -> None:
    config = replace(FAST, stop_grace_seconds=0.5)
    scheduler = make_scheduler(config)
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    for _ in range(2):
        scheduler.create_one_time(at(hanging.url("/hang"), due))
    assert hanging.wait_connections(2, timeout=5) == 2
    started = time.monotonic()
    scheduler.shutdown()
    assert time.monotonic() - started < 2.0  # not the 10 s delivery timeout
    make_scheduler(config)  # the cut runs were re-queued: they are attempted again
    assert hanging.wait_connections(4, timeout=5) == 4


def test_host_concurrency_setting() -> None:
    limits = HostLimits.parse("4, hooks.partner.io=16 api.example.com:8443=2")
    assert limits.default == 4
    assert limits.limit_for(target_key("https://hooks.partner.io/a")) == 16
    assert limits.limit_for(target_key("http://HOOKS.partner.io:8080/a")) == 16  # any port
    assert limits.limit_for(target_key("https://api.example.com:8443/x")) == 2
    assert limits.limit_for(target_key("https://api.example.com/x")) == 4  # another port
    assert limits.limit_for(target_key("https://other.example/x")) == 4
    assert HostLimits.parse("").default == 8
    assert HostLimits.parse("hooks.partner.io=1").default == 8


@pytest.mark.parametrize("text", ["0", "four", "a=b", "=3", "a.io=0", "a=b=3", "-2"])
def test_bad_host_concurrency_is_refused_naming_the_setting(text: str) -> None:
    with pytest.raises(ConfigurationError, match="LOCAL_HOST_CONCURRENCY"):
        HostLimits.parse(text)


def test_target_key_is_host_and_port() -> None:
    assert target_key("https://Hooks.Partner.io/path?q=1") == "hooks.partner.io:443"
    assert target_key("http://127.0.0.1/x") == "127.0.0.1:80"
    assert target_key("http://127.0.0.1:9000/x") == "127.0.0.1:9000"
    assert target_key("http://[::1]:81/") == "::1:81"


@pytest.mark.slow
def test_sigterm_stops_the_api_without_waiting_for_a_hanging_call(
    hanging: HangingServer, tmp_path: Path
) -> None:
    server = Server(tmp_path / "state", tmp_path / "server.log", DELIVERY_TIMEOUT_SECONDS="60")
    server.start()
    try:
        server.create(delay_seconds=2, target_url=hanging.url("/hang"))
        assert hanging.wait_connections(1, timeout=6) == 1
        assert server.process is not None
        process = server.process
        started = time.monotonic()
        server.stop(signal.SIGTERM)
        assert time.monotonic() - started < 6.0  # not the 60 s timeout
        assert process.returncode is not None
        assert "cut short" in server.log_path.read_text()  # shut down, not killed
    finally:
        server.close()
