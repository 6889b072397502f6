"""The delivery path's logger (``shared.log.get_logger()``) and header redaction.

Credentials are never logged: ``redact_headers`` replaces the value of every header that
can carry one (``Authorization``, ``Cookie``, ``X-Api-Key`` and any name containing
``token``, ``secret``, ``signature``, ``key``, ``auth``, ``password`` or ``session``), and
URLs are logged without their query string or user info.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from shared.log import get_logger

REDACTED = "[redacted]"
_SENSITIVE_NAMES = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
_SENSITIVE_PARTS = ("token", "secret", "signature", "key", "auth", "password", "session")

logger = get_logger()


def is_sensitive_header(name: str) -> bool:
    """Return whether a header of this name may carry a credential.

    Parameters
    ----------
    name
        Header name, any case.

    Returns
    -------
    bool
        ``True`` for credential-carrying names.
    """
    lowered = name.lower()
    return lowered in _SENSITIVE_NAMES or any(part in lowered for part in _SENSITIVE_PARTS)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Return a copy of ``headers`` safe to log (credential values replaced).

    Parameters
    ----------
    headers
        Request or response headers.

    Returns
    -------
    dict[str, str]
        Same names; the value of every sensitive header is ``[redacted]``.
    """
    return {
        name: (REDACTED if is_sensitive_header(name) else value) for name, value in headers.items()
    }


def loggable_url(url: str) -> str:
    """Return ``url`` without user info, query string or fragment (they may hold secrets)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unparseable url)"
    return f"{parts.scheme}://{host}{port}{parts.path}"
