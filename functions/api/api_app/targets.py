"""Where tasks may call: this API's own callback route and the allow-listed hosts."""

from __future__ import annotations

from shared.delivery.allowlist import check_target_allowed
from shared.delivery.config import DeliveryConfig
from shared.settings import Settings

CALLBACK_PATH = "/api/v1/tasks/callback"


def callback_url(settings: Settings) -> str:
    """Absolute URL of this API's callback route (from ``API_BASE_URL``)."""
    base = (settings.api_base_url or "").rstrip("/")
    return f"{base}{CALLBACK_PATH}"


def ensure_target_allowed(url: str, settings: Settings) -> None:
    """Refuse a disallowed target at creation time, with the rule delivery applies later."""
    config = DeliveryConfig(
        api_base_url=settings.api_base_url, allowed_target_hosts=settings.allowed_target_hosts
    )
    check_target_allowed(url, config)
