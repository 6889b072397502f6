"""Header rules of a call: RFC 9110 names, sendable values, no credentials in a task.

``check_headers`` is applied when a task is created (the API answers 422) and again when an
event is delivered (an event from elsewhere with such a header is a permanent failure: dead
letter, no request), so a header that cannot be sent as given is never stored or retried.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from shared.exceptions import InvalidRequestError

MAX_HEADERS = 50
MAX_HEADER_NAME_LENGTH = 256
MAX_HEADER_VALUE_LENGTH = 4096
# RFC 9110 5.1/5.6.2: field-name = token = 1*tchar.
# Patterns are plain strings: `re` compiles (and caches) each on first use, not at import.
_TCHARS = r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$"
# RFC 9110 5.5: field-value = visible ASCII, obs-text (0x80-0xFF), SP and HTAB inside.
_VALUE = r"^[\t\x20-\x7e\x80-\xff]*$"
# Set by the scheduler (signature, bearer token, framing); an event's own copy is ignored.
COMPUTED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "authorization",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    }
)


def check_headers(headers: object, *, creating: bool = False) -> dict[str, str]:
    """Return ``headers`` as a dict after checking every name and value.

    Parameters
    ----------
    headers
        The call's headers (a mapping of strings).
    creating
        When true (a new task), a header the scheduler computes (``Authorization``,
        ``Host``, ``Content-Length``, ``Transfer-Encoding``, ``Connection``, ``webhook-*``)
        is refused too, and so are two names that differ only in letter case.

    Returns
    -------
    dict[str, str]
        The headers, unchanged.

    Raises
    ------
    InvalidRequestError
        Naming the first offending header (never echoing a value).
    """
    if not isinstance(headers, Mapping):
        raise InvalidRequestError("headers must be an object of string values")
    if len(headers) > MAX_HEADERS:
        raise InvalidRequestError(f"headers: at most {MAX_HEADERS} headers are allowed")
    seen: set[str] = set()
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise InvalidRequestError("headers must be an object of string values")
        if len(name) > MAX_HEADER_NAME_LENGTH or not re.match(_TCHARS, name):
            raise InvalidRequestError(
                f"header name {name[:40]!r} is not an RFC 9110 token "
                "(letters, digits and !#$%&'*+-.^_`|~ only)"
            )
        if len(value) > MAX_HEADER_VALUE_LENGTH or not re.match(_VALUE, value):
            raise InvalidRequestError(
                f"header {name!r} has a value that cannot be sent: visible ASCII or "
                f"obs-text only, no CR, LF or NUL, at most {MAX_HEADER_VALUE_LENGTH} characters"
            )
        lowered = name.lower()
        if creating and lowered in COMPUTED_HEADERS:
            raise InvalidRequestError(
                f"header {name!r} is set by the scheduler; do not store it in a task"
                + (" (targets get TARGET_BEARER_TOKEN)" if lowered == "authorization" else "")
            )
        if creating and lowered in seen:
            raise InvalidRequestError(f"header {name!r} is given twice (names ignore case)")
        seen.add(lowered)
    return dict(headers)
