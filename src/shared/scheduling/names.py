"""Task ids: EventBridge schedule names ``{prefix}-{32 hex}``, prefixes and client tokens.

Standard library only; re-exported by ``shared.scheduling.validation``.
"""

from __future__ import annotations

import re
import uuid

from shared.exceptions import InvalidRequestError

# Schedule names (our task ids): 1-64 characters of [0-9a-zA-Z-_.] (CreateSchedule "Name").
MAX_TASK_ID_LENGTH = 64
_UUID_HEX_LENGTH = 32
# A task id is "{prefix}-{uuid4 hex}", so the prefix gets 64 - 1 - 32 = 31 characters.
MAX_NAME_PREFIX_LENGTH = MAX_TASK_ID_LENGTH - 1 - _UUID_HEX_LENGTH
# The one pattern of task ids and name prefixes (the API's models and the backends use it).
# Patterns here are plain strings: `re` compiles (and caches) each on first use, not at import.
NAME_PATTERN = r"^[0-9A-Za-z_.-]+$"
# ClientToken: 1-64 characters of [a-zA-Z0-9-_] (CreateSchedule request parameters).
_CLIENT_TOKEN_PATTERN = r"^[0-9A-Za-z_-]{1,64}$"  # noqa: S105 - a pattern
_TOKEN_NAMESPACE = uuid.UUID("6f0c54c2-3f7e-4d6c-9a55-2b4d1b6f0e11")


def validate_name_prefix(prefix: str, *, max_length: int = MAX_NAME_PREFIX_LENGTH) -> str:
    """Check a task-name prefix: 1..``max_length`` characters of ``[0-9A-Za-z_.-]``."""
    if not isinstance(prefix, str) or not prefix:
        raise InvalidRequestError("name_prefix must be a non-empty string")
    if len(prefix) > max_length:
        raise InvalidRequestError(
            f"name_prefix is {len(prefix)} characters; at most {max_length} are allowed "
            f"(the task id adds '-' and a 32-character id, and ids are at most "
            f"{MAX_TASK_ID_LENGTH} characters)",
            details={"max_length": max_length},
        )
    if not re.match(NAME_PATTERN, prefix):
        raise InvalidRequestError(
            f"name_prefix {prefix!r} may only contain letters, digits, '-', '_' and '.'"
        )
    return prefix


def validate_client_token(token: str) -> str:
    """Check a client token: 1-64 characters of ``[0-9A-Za-z_-]``."""
    if not isinstance(token, str) or not re.match(_CLIENT_TOKEN_PATTERN, token):
        raise InvalidRequestError(
            "client_token must be 1-64 characters of letters, digits, '-' and '_'"
        )
    return token


def new_task_id(name_prefix: str, client_token: str | None = None) -> str:
    """Return ``{name_prefix}-{32 hex}``: random, or derived from ``client_token``.

    The same prefix and client token always give the same id, so a retried create hits the
    same schedule name (and is accepted once) instead of creating a twin.
    """
    validate_name_prefix(name_prefix)
    if client_token is None:
        suffix = uuid.uuid4().hex
    else:
        suffix = uuid.uuid5(_TOKEN_NAMESPACE, validate_client_token(client_token)).hex
    return f"{name_prefix}-{suffix}"


def is_task_id(value: str) -> bool:
    """Return whether ``value`` is a well-formed task id (1-64 of ``[0-9A-Za-z_.-]``)."""
    return 0 < len(value) <= MAX_TASK_ID_LENGTH and re.match(NAME_PATTERN, value) is not None


def validate_task_id(task_id: str) -> str:
    """Check a task id (a schedule name): 1-64 characters of ``[0-9A-Za-z_.-]``."""
    if not isinstance(task_id, str) or not is_task_id(task_id):
        raise InvalidRequestError(
            f"task id must be 1-{MAX_TASK_ID_LENGTH} characters of letters, digits, "
            "'-', '_' and '.'"
        )
    return task_id
