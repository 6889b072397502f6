"""Property: an accepted target URL means the same host and port to every parser that reads it.

The allow-list once read URLs with ``urlsplit`` while urllib3 connected with ``parse_url``;
a URL the two read differently could pass the check for one host and connect to another.
Every URL ``parse_target_url`` accepts must give urllib3's host and port (what the pool
connects to) and urlsplit's the same answer.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from urllib3.util import parse_url

from shared.delivery.urls import DEFAULT_PORTS, parse_target_url
from shared.exceptions import InvalidRequestError

pytestmark = pytest.mark.timeout(120)
PIECES = st.sampled_from(
    ["h.io", "evil.io", "127.0.0.1", "[::1]", "@", ":", "80", "9", "/", "\\", "?", "#", "%40",
     "%5C", ".", "a", "%2F", "[", "]", " ", "\t", "user", "%00", ";"]
)  # fmt: skip
URLS = st.builds(
    lambda scheme, parts: scheme + "".join(parts),
    st.sampled_from(["http://", "https://", "HTTP://", "http:/", "http:\\\\"]),
    st.lists(PIECES, min_size=1, max_size=8),
)


@settings(max_examples=3000, deadline=None, database=None)
@given(url=URLS)
def test_accepted_urls_mean_one_host_and_port_to_every_parser(url: str) -> None:
    try:
        target = parse_target_url(url)
    except InvalidRequestError:
        return
    sent = parse_url(target.url)  # what the pool manager connects to
    assert (sent.host or "").lower().strip("[]").rstrip(".") == target.host
    assert (sent.port or DEFAULT_PORTS[target.scheme]) == target.port
    split = urlsplit(url)
    assert (split.hostname or "").rstrip(".") == target.host
    assert (split.port or DEFAULT_PORTS[target.scheme]) == target.port
