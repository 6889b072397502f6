"""rediss:// against a real TLS redis-server with a throwaway CA (certificate checked)."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.worker.support import free_port, seed_epoch
from worker.locks import TickLocks
from worker.redis_client import build_redis


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """A redis-server that speaks only TLS on a free port; yields (port, CA file)."""
    d = tmp_path_factory.mktemp("tls")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
             "ca.pem", "-days", "1", "-subj", "/CN=test-ca",
             # Python 3.13 verifies strictly (VERIFY_X509_STRICT): a CA needs key usage.
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-addext", "subjectKeyIdentifier=hash", cwd=d)  # fmt: skip
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out",
             "server.csr", "-subj", "/CN=127.0.0.1", cwd=d)  # fmt: skip
    (d / "san.ext").write_text(
        "subjectAltName=IP:127.0.0.1\n"
        "basicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "authorityKeyIdentifier=keyid,issuer\n"
    )
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "san.ext",
             cwd=d)  # fmt: skip
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
         "--tls-cert-file", str(d / "server.pem"), "--tls-key-file", str(d / "server.key"),
         "--tls-ca-cert-file", str(d / "ca.pem"), "--tls-auth-clients", "no",
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(0.3)
        if proc.poll() is not None:
            pytest.fail("this redis-server cannot serve TLS")
        yield port, d / "ca.pem"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_rediss_url_claims_ticks_over_verified_tls(
    tls_redis: tuple[int, Path], key_prefix: str
) -> None:
    port, ca = tls_redis

    async def scenario() -> tuple[bool, bool]:
        client = build_redis(f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={ca}")
        for _ in range(50):  # the server may still be starting
            try:
                await client.ping()
                break
            except RedisConnectionError:
                await asyncio.sleep(0.1)
        locks = TickLocks(client, prefix=key_prefix, lock_ttl_seconds=30, guard_ttl_seconds=5)
        await seed_epoch(client, key_prefix)
        tick = datetime.now(UTC).replace(microsecond=0)
        first, second = await locks.claim("tls", tick), await locks.claim("tls", tick)
        await client.aclose()
        return bool(first), bool(second)

    assert asyncio.run(scenario()) == (True, False)


def test_rediss_refuses_a_server_it_cannot_verify(tls_redis: tuple[int, Path]) -> None:
    port, _ = tls_redis

    async def scenario() -> None:
        client = build_redis(f"rediss://127.0.0.1:{port}/0")  # system CAs only
        try:
            await client.ping()
        finally:
            await client.aclose()

    with pytest.raises(RedisConnectionError, match=r"(?i)certificate"):
        asyncio.run(scenario())
