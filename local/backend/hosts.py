"""Per-target concurrency: which share a call belongs to, and how large each share is.

A *target* is the host and port of a call's URL (``hooks.partner.io:443``): one server. Each
target may have at most its limit of deliveries in flight; calls beyond it wait in that
target's own queue, so a target that hangs, refuses or throttles delays only its own calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from shared.exceptions import ConfigurationError

DEFAULT_HOST_CONCURRENCY = 8
_DEFAULT_PORTS = {"http": 80, "https": 443}


def target_key(url: str) -> str:
    """Return ``host:port`` of ``url`` (lower-case host, the scheme's port when none is given).

    Parameters
    ----------
    url
        An absolute http(s) URL (already validated by ``ApiCallRequest.from_event``).

    Returns
    -------
    str
        The target's key; ``":0"`` for a URL that cannot be parsed (it fails at delivery).
    """
    try:
        parts = urlsplit(url)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)
        return f"{(parts.hostname or '').rstrip('.')}:{port}"
    except ValueError:
        return ":0"


@dataclass(frozen=True)
class HostLimits:
    """How many deliveries each target may have in flight.

    ``overrides`` maps a host (every port of it) or a ``host:port`` to its limit; the exact
    ``host:port`` entry wins over the host entry, which wins over ``default``.
    """

    default: int = DEFAULT_HOST_CONCURRENCY
    overrides: Mapping[str, int] = field(default_factory=dict)

    def limit_for(self, key: str) -> int:
        """Return the limit of the target ``host:port``."""
        if key in self.overrides:
            return self.overrides[key]
        host = key.rsplit(":", 1)[0]
        return self.overrides.get(host, self.default)

    @classmethod
    def parse(cls, text: str) -> HostLimits:
        """Read ``LOCAL_HOST_CONCURRENCY``: ``8`` or ``4,hooks.partner.io=16,api.x.com:8443=2``.

        A bare number is the default for every target; ``host=n`` or ``host:port=n`` sets one
        target's limit. Items are separated by commas or spaces.

        Raises
        ------
        ConfigurationError
            An item is not a positive whole number or ``name=number``; the message names it.
        """
        default = DEFAULT_HOST_CONCURRENCY
        overrides: dict[str, int] = {}
        for item in text.replace(",", " ").split():
            name, equals, number = item.rpartition("=")
            try:
                value = int(number)
            except ValueError:
                value = 0
            if value < 1 or "=" in name or (equals and not name):
                raise ConfigurationError(
                    f"invalid setting LOCAL_HOST_CONCURRENCY: {item!r} is not a positive "
                    "number or host=number (e.g. '4,hooks.partner.io=16')"
                )
            if name:
                overrides[name.lower().rstrip(".")] = value
            else:
                default = value
        return cls(default, overrides)
