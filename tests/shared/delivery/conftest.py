"""Fixtures for delivery tests: fresh signing secrets, a real receiver, captured logs."""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Iterator

import pytest

from shared.delivery.logs import logger
from shared.secrets import clear_secret_cache
from tests.shared.delivery.receiver import Receiver, running_receiver


@pytest.fixture
def signing_secrets() -> tuple[str, str]:
    """Two secrets generated for this test: a whsec_ one (newest) and a plain string."""
    return ("whsec_" + base64.b64encode(secrets.token_bytes(32)).decode(), secrets.token_hex(24))


@pytest.fixture
def receiver(signing_secrets: tuple[str, str]) -> Iterator[Receiver]:
    """A real HTTP server on 127.0.0.1 (free port) that records requests."""
    with running_receiver(signing_secrets) as server:
        yield server


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def captured_logs() -> Iterator[list[str]]:
    """Every JSON line the delivery logger writes during the test (its own formatter)."""
    capture = _Capture()
    capture.setFormatter(logger.registered_formatter)
    target = logging.getLogger(logger.name)
    target.addHandler(capture)
    try:
        yield capture.lines
    finally:
        target.removeHandler(capture)


@pytest.fixture(autouse=True)
def _fresh_secret_cache() -> Iterator[None]:
    clear_secret_cache()
    yield
    clear_secret_cache()
