"""The target allow-list: no request leaves for a host that is not on it (no SSRF).

A host is allowed when it is the API's own host (the host of ``API_BASE_URL``) or matches
an entry of ``ALLOWED_TARGET_HOSTS``. Entries are exact host names (case-insensitive, no
port: any port of an allowed host is allowed), or ``*.example.com`` which matches every
sub-domain of ``example.com`` (``a.example.com``, ``a.b.example.com``) but not
``example.com`` itself. IP literals match only exactly. The API calls
``check_target_allowed`` when a task is created so a bad target is refused early; the
delivery core checks again before any network traffic.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from shared.delivery.config import DeliveryConfig
from shared.exceptions import TargetNotAllowedError


def _normalise(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host


def host_of(url: str) -> str:
    """Return the normalised host name of ``url`` ('' when it has none).

    Parameters
    ----------
    url
        An absolute URL.

    Returns
    -------
    str
        Lower-case host without port, brackets or trailing dot.
    """
    try:
        return _normalise(urlsplit(url).hostname or "")
    except ValueError:
        return ""


def allowed_host_patterns(
    api_base_url: str | None, allowed_target_hosts: Iterable[str]
) -> tuple[str, ...]:
    """Return the normalised allow-list: the API's own host first, then the configured ones."""
    patterns: list[str] = []
    if api_base_url:
        own = host_of(api_base_url)
        if own:
            patterns.append(own)
    patterns.extend(_normalise(entry) for entry in allowed_target_hosts if entry.strip())
    return tuple(patterns)


def host_matches(host: str, pattern: str) -> bool:
    """Return whether normalised ``host`` matches one allow-list ``pattern``."""
    if pattern.startswith("*."):
        suffix = pattern[1:]  # ".example.com"
        return len(host) > len(suffix) and host.endswith(suffix)
    return host == pattern


def is_host_allowed(url: str, config: DeliveryConfig) -> bool:
    """Return whether the host of ``url`` is on the allow-list of ``config``.

    Parameters
    ----------
    url
        The target URL.
    config
        Gives ``API_BASE_URL`` and ``ALLOWED_TARGET_HOSTS``.

    Returns
    -------
    bool
        ``True`` when the host is the API's own host or matches an allowed entry.
    """
    return host_allowed(
        url, api_base_url=config.api_base_url, allowed_target_hosts=config.allowed_target_hosts
    )


def host_allowed(
    url: str, *, api_base_url: str | None, allowed_target_hosts: Iterable[str]
) -> bool:
    """Return whether the host of ``url`` is allowed (same rule as ``is_host_allowed``).

    Parameters
    ----------
    url
        The target URL.
    api_base_url
        ``API_BASE_URL``: its host is always allowed.
    allowed_target_hosts
        ``ALLOWED_TARGET_HOSTS`` entries (exact names or ``*.suffix`` wildcards).

    Returns
    -------
    bool
        ``True`` when allowed.
    """
    host = host_of(url)
    if not host:
        return False
    patterns = allowed_host_patterns(api_base_url, allowed_target_hosts)
    return any(host_matches(host, pattern) for pattern in patterns)


def check_target_allowed(url: str, config: DeliveryConfig) -> None:
    """Raise ``TargetNotAllowedError`` unless the host of ``url`` is allowed.

    Parameters
    ----------
    url
        The target URL.
    config
        Gives ``API_BASE_URL`` and ``ALLOWED_TARGET_HOSTS``.

    Raises
    ------
    TargetNotAllowedError
        The host is not on the allow-list (the message names the host).
    """
    if not is_host_allowed(url, config):
        raise TargetNotAllowedError(
            f"target host {host_of(url) or '(none)'!r} is not on the allow-list",
            details={"host": host_of(url)},
        )
