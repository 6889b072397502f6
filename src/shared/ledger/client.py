"""The DynamoDB client of the ledger, built lazily with short timeouts.

The client is botocore's own (what boto3's ``client()`` returns, without boto3): boto3 adds
nothing a low-level client uses, and importing it (with s3transfer, which it loads) costs a
cold start ~0.1 s; see the README's ledger numbers.
"""

from __future__ import annotations

import threading
from typing import Any


def make_dynamodb_client(region: str | None, endpoint_url: str | None = None) -> Any:
    """Return a low-level DynamoDB client (botocore is imported here, on first use only).

    Parameters
    ----------
    region
        AWS region.
    endpoint_url
        Another endpoint (tests, a moto server); ``AWS_ENDPOINT_URL`` is honoured by
        botocore itself when this is None.

    Returns
    -------
    Any
        A ``dynamodb`` client: 1 s connect, 2 s read, 2 attempts in total.
    """
    from botocore.config import Config
    from botocore.session import get_session

    config = Config(
        connect_timeout=1,
        read_timeout=2,
        retries={"mode": "standard", "total_max_attempts": 2},
    )
    return get_session().create_client(
        "dynamodb", region_name=region, endpoint_url=endpoint_url, config=config
    )


class LazyDynamoDBClient:
    """One DynamoDB client per owner, built on first use (thread-safe), or the one given."""

    def __init__(self, region: str | None, client: Any = None) -> None:
        self._region = region
        self._client = client
        self._lock = threading.Lock()

    def get(self) -> Any:
        """Return the client, building it (and importing botocore) the first time."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = make_dynamodb_client(self._region)
        return self._client
