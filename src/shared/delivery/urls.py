"""The one target-URL parser: urllib3's ``parse_url``, the parser that sends the request.

A target URL is parsed and normalised once, here, and everything else (the allow-list, the
log line, the request itself) uses the result, so the host that is checked is the host that
is connected to. A URL that two parsers could read differently is refused outright: a
backslash, user info (``user@``), whitespace or a control character anywhere in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from shared.exceptions import InvalidRequestError

MAX_URL_LENGTH = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}
# Patterns are plain strings: `re` compiles (and caches) each on first use, not at import.
# Whitespace, C0 controls, DEL, C1 controls and the Unicode line/paragraph separators.
_AMBIGUOUS = r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029\\]"
# After urllib3's IDNA encoding: a DNS name or an IPv4 literal, or the inside of [IPv6].
_HOST = r"^(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*|[0-9a-f:.]+)$"


@dataclass(frozen=True)
class TargetUrl:
    """A parsed target: the normalised ``url`` that is sent, its ``host`` and ``port``.

    ``host`` is lower case without brackets or a trailing dot; ``port`` is explicit or the
    scheme's default (80/443).
    """

    url: str
    scheme: str
    host: str
    port: int


def parse_target_url(url: object) -> TargetUrl:
    """Parse and normalise a target URL with urllib3, refusing ambiguous ones.

    Parameters
    ----------
    url
        The URL as given (an absolute ``http``/``https`` URL).

    Returns
    -------
    TargetUrl
        The normalised URL (as urllib3 will send it), host and port.

    Raises
    ------
    InvalidRequestError
        Not a string, longer than 2048 characters, not absolute ``http(s)``, no host, or
        ambiguous: a backslash, user info, whitespace or a control character.
    """
    if not isinstance(url, str) or not url:
        raise InvalidRequestError("target_url is required and must be a string")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidRequestError(f"target_url is longer than {MAX_URL_LENGTH} characters")
    if re.search(_AMBIGUOUS, url):
        raise InvalidRequestError(
            "target_url may not contain a backslash, whitespace or a control character"
        )
    try:
        parts = parse_url(url)
    except (LocationParseError, ValueError) as exc:
        raise InvalidRequestError("target_url is not a valid URL") from exc
    scheme = (parts.scheme or "").lower()
    if scheme not in DEFAULT_PORTS or not parts.host or "://" not in url:
        raise InvalidRequestError("target_url must be an absolute http(s) URL")
    authority = re.split(r"[/?#]", url.split("://", 1)[1], maxsplit=1)[0]
    if parts.auth is not None or "@" in authority:
        raise InvalidRequestError("target_url may not contain user info (user@host)")
    host = parts.host.lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host or parts.port == 0:
        raise InvalidRequestError("target_url must be an absolute http(s) URL with a host")
    if not re.match(_HOST, host):
        raise InvalidRequestError("target_url has a host that is not a DNS name or IP address")
    return TargetUrl(
        url=str(parts.url),
        scheme=scheme,
        host=host,
        port=parts.port or DEFAULT_PORTS[scheme],
    )
