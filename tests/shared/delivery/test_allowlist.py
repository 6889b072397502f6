"""The allow-list: the API's own host plus ALLOWED_TARGET_HOSTS, exact or *.suffix."""

from __future__ import annotations

import pytest

from shared.delivery.allowlist import check_target_allowed, host_allowed, is_host_allowed
from shared.delivery.config import DeliveryConfig
from shared.exceptions import TargetNotAllowedError

CONFIG = DeliveryConfig(
    api_base_url="https://api.example.org/prod",
    allowed_target_hosts=("hooks.partner.io", "*.internal.example.com", "10.0.0.7"),
)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.org/api/v1/tasks/callback",
        "http://API.Example.org:8443/x",
        "https://hooks.partner.io/in",
        "https://a.internal.example.com/x",
        "https://a.b.internal.example.com./x",
        "http://10.0.0.7:9000/",
    ],
)
def test_allowed(url: str) -> None:
    assert is_host_allowed(url, CONFIG)
    check_target_allowed(url, CONFIG)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "https://internal.example.com/x",  # the wildcard covers sub-domains only
        "https://evilinternal.example.com/x",
        "https://hooks.partner.io.evil.net/x",
        "https://api.example.org@evil.net/x",
        "http://10.0.0.70/",
        "not a url",
    ],
)
def test_refused(url: str) -> None:
    assert not is_host_allowed(url, CONFIG)
    with pytest.raises(TargetNotAllowedError):
        check_target_allowed(url, CONFIG)


def test_default_allows_only_the_api_host() -> None:
    config = DeliveryConfig(api_base_url="http://127.0.0.1:8000")
    assert is_host_allowed("http://127.0.0.1:8000/api/v1/tasks/callback", config)
    assert not is_host_allowed("http://localhost:8000/", config)
    assert not is_host_allowed("http://127.0.0.1/", DeliveryConfig())


def test_keyword_form_matches() -> None:
    assert host_allowed(
        "https://hooks.partner.io/", api_base_url=None, allowed_target_hosts=["hooks.partner.io"]
    )
    assert not host_allowed("https://x.io/", api_base_url=None, allowed_target_hosts=[])
