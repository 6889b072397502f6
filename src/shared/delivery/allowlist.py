"""The target allow-list: no request leaves for a host that is not on it (no SSRF).

A target is allowed when its host is the API's own host (the host of ``API_BASE_URL``) or
matches an entry of ``ALLOWED_TARGET_HOSTS``. Entries are exact host names
(case-insensitive), or ``*.example.com`` which matches every sub-domain of ``example.com``
(``a.example.com``, ``a.b.example.com``) but not ``example.com`` itself; IP literals match
only exactly. An entry may name a port (``hooks.example.com:8443``, ``[::1]:8080``): then
only that port is allowed; without one, any port is (the API's own host: any port). URLs
are read with ``shared.delivery.urls.parse_target_url`` (the parser that sends), so an
ambiguous URL is never allowed. The API calls ``check_target_allowed`` when a task is
created; the delivery core checks again before any network traffic.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.delivery.config import DeliveryConfig
from shared.delivery.urls import TargetUrl, parse_target_url
from shared.exceptions import InvalidRequestError, TargetNotAllowedError

# (host, port or None for any port)
HostPattern = tuple[str, int | None]


def _normalise(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host


def parse_entry(entry: str) -> HostPattern:
    """Return ``(host, port)`` of one allow-list entry (``port`` None: any port).

    Parameters
    ----------
    entry
        ``host``, ``host:port``, ``*.suffix``, ``*.suffix:port``, ``[v6]`` or ``[v6]:port``.

    Returns
    -------
    tuple[str, int | None]
        The normalised host pattern and the port.
    """
    entry = entry.strip()
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif entry.count(":") == 1:
        host, _, port_text = entry.partition(":")
    else:
        host, port_text = entry, ""
    port = int(port_text) if port_text.isdigit() else None
    return _normalise(host), port


def host_of(url: str) -> str:
    """Return the normalised host name of ``url`` ('' when it has none or is ambiguous).

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
        return parse_target_url(url).host
    except InvalidRequestError:
        return ""


def allowed_host_patterns(
    api_base_url: str | None, allowed_target_hosts: Iterable[str]
) -> tuple[HostPattern, ...]:
    """Return the normalised allow-list: the API's own host first, then the configured ones."""
    patterns: list[HostPattern] = []
    if api_base_url:
        try:
            own = parse_target_url(api_base_url)
        except InvalidRequestError:
            own = None
        if own is not None:
            patterns.append((own.host, None))
    patterns.extend(parse_entry(entry) for entry in allowed_target_hosts if entry.strip())
    return tuple(patterns)


def host_matches(host: str, pattern: str) -> bool:
    """Return whether normalised ``host`` matches one allow-list host ``pattern``."""
    if pattern.startswith("*."):
        suffix = pattern[1:]  # ".example.com"
        return len(host) > len(suffix) and host.endswith(suffix)
    return host == pattern


def target_allowed(target: TargetUrl, patterns: Iterable[HostPattern]) -> bool:
    """Return whether a parsed target matches one of ``patterns`` (host and port)."""
    return any(
        host_matches(target.host, host) and (port is None or port == target.port)
        for host, port in patterns
    )


def is_host_allowed(url: str, config: DeliveryConfig) -> bool:
    """Return whether ``url`` is on the allow-list of ``config``.

    Parameters
    ----------
    url
        The target URL.
    config
        Gives ``API_BASE_URL`` and ``ALLOWED_TARGET_HOSTS``.

    Returns
    -------
    bool
        ``True`` when the URL is unambiguous and its host (and port, when the entry names
        one) is the API's own or matches an allowed entry.
    """
    return host_allowed(
        url, api_base_url=config.api_base_url, allowed_target_hosts=config.allowed_target_hosts
    )


def host_allowed(
    url: str, *, api_base_url: str | None, allowed_target_hosts: Iterable[str]
) -> bool:
    """Return whether ``url`` is allowed (same rule as ``is_host_allowed``).

    Parameters
    ----------
    url
        The target URL.
    api_base_url
        ``API_BASE_URL``: its host is always allowed (any port).
    allowed_target_hosts
        ``ALLOWED_TARGET_HOSTS`` entries (exact names or ``*.suffix`` wildcards, optional
        ``:port``).

    Returns
    -------
    bool
        ``True`` when allowed.
    """
    try:
        target = parse_target_url(url)
    except InvalidRequestError:
        return False
    return target_allowed(target, allowed_host_patterns(api_base_url, allowed_target_hosts))


def check_target_allowed(url: str, config: DeliveryConfig) -> None:
    """Raise ``TargetNotAllowedError`` unless ``url`` is allowed.

    Parameters
    ----------
    url
        The target URL.
    config
        Gives ``API_BASE_URL`` and ``ALLOWED_TARGET_HOSTS``.

    Raises
    ------
    TargetNotAllowedError
        The host (or port) is not on the allow-list (the message names the host).
    """
    if not is_host_allowed(url, config):
        raise TargetNotAllowedError(
            f"target host {host_of(url) or '(none)'!r} is not on the allow-list",
            details={"host": host_of(url)},
        )
