"""Every environment variable the product reads, declared once (standard library only).

Each ``Variable`` names a field (read from its UPPER_SNAKE environment name), its kind, its
default and its bounds. ``shared.settings.Settings`` (pydantic-settings, the API and the
worker) takes every field's default and bounds from here; the delivery path
(``shared.delivery.config``, API_CALL_LAMBDA) parses its few variables with ``parse`` below
so its cold start does not import pydantic. Tests check that the two agree on every value.
An empty (or all-blank) value counts as unset everywhere.
"""

from __future__ import annotations

import re
from typing import Any

# Lambda's longest timeout: the ceiling of every per-call and per-task HTTP timeout.
LAMBDA_MAX_TIMEOUT_SECONDS = 900.0


class Variable:
    """One environment variable: field name, kind, default and bounds.

    Kinds: ``text`` (str with a default), ``optional`` (str or None), ``secret`` (a secret
    string or None), ``choice`` (one of ``choices``), ``list`` and ``secret_list``
    (comma- or whitespace-separated), ``int``, ``float``, ``bool``.
    """

    __slots__ = ("choices", "default", "field", "ge", "gt", "kind", "le", "min_length")

    def __init__(
        self,
        field: str,
        kind: str,
        default: Any = None,
        *,
        ge: float | None = None,
        gt: float | None = None,
        le: float | None = None,
        choices: tuple[str, ...] = (),
        min_length: int | None = None,
    ) -> None:
        self.field, self.kind, self.default = field, kind, default
        self.ge, self.gt, self.le = ge, gt, le
        self.choices, self.min_length = choices, min_length

    @property
    def name(self) -> str:
        """The environment name: the field name in upper case."""
        return self.field.upper()


_V = Variable
VARIABLES: dict[str, Variable] = {
    v.field: v
    for v in (
        # --- where and how it runs ---
        _V("stage", "choice", "dev", choices=("dev", "prod")),
        _V("aws_region", "text", "ap-northeast-2"),
        _V("scheduler_backend", "choice", "eventbridge", choices=("eventbridge", "local")),
        # --- EventBridge Scheduler (the deployed backend) ---
        _V("schedule_group_name", "text", "default"),
        _V("scheduler_role_arn", "optional"),
        _V("api_call_function_arn", "optional"),
        _V("dead_letter_queue_arn", "optional"),
        _V("dead_letter_queue_url", "optional"),
        # --- the API and its targets ---
        _V("api_base_url", "optional"),
        _V("allowed_target_hosts", "list", ()),
        # --- secrets: a value, or a Secrets Manager ARN read at run time ---
        _V("signing_secrets", "secret_list", ()),
        _V("signing_secrets_arn", "optional"),
        _V("api_tokens", "secret_list", ()),
        _V("api_tokens_arn", "optional"),
        _V("target_bearer_token", "secret"),
        _V("target_bearer_token_arn", "optional"),
        # --- delivery and retries (schedule RetryPolicy, Lambda async config, local engine) ---
        _V("retry_max_attempts", "int", 2, ge=0, le=185),
        _V("max_event_age_seconds", "int", 3600, ge=60, le=86400),
        _V("delivery_timeout_seconds", "float", 10.0, gt=0, le=LAMBDA_MAX_TIMEOUT_SECONDS),
        # --- local backend ---
        _V("local_state_dir", "text", ".local"),
        _V("local_workers", "int", 8, ge=1, le=64),
        _V("local_retry_base_seconds", "float", 1.0, gt=0, le=3600),
        _V("local_retry_max_backoff_seconds", "float", 60.0, gt=0, le=86400),
        _V("local_poll_seconds", "float", 1.0, gt=0, le=60),
        # --- batch worker ---
        _V("batch_enabled", "bool", False),  # host the scheduler in the API (never on Lambda)
        _V("batch_timezone", "text", "UTC"),  # cron fields are read in this zone
        _V("redis_url", "secret"),  # redis:// or rediss:// (TLS); may hold a password
        # "memory": an in-process tick lock for ONE replica (make run without Redis)
        _V("batch_lock_backend", "choice", "redis", choices=("redis", "memory")),
        _V("slack_webhook_url", "secret"),  # no webhook: alerts are only logged
        _V("batch_schedules_packages", "list", ("worker.schedules",)),
        _V("batch_key_prefix", "text", "callback-scheduler:batch:", min_length=1),
        _V("batch_time_budget_seconds", "float", 300.0, gt=0),
        _V("batch_stack_trace_limit", "int", 2000, ge=100, le=2900),
        _V("batch_grace_period_seconds", "float", 30.0, ge=0, le=110),
        _V("batch_lock_ttl_seconds", "float", 300.0, ge=10, le=86400),
        _V("batch_guard_ttl_seconds", "float", 30.0, ge=1, le=3600),
        _V("batch_misfire_grace_seconds", "int", 30, ge=1, le=3600),
        _V("batch_redis_timeout_seconds", "float", 2.0, gt=0, le=60),
        _V("batch_redis_alert_interval_seconds", "float", 300.0, ge=0),
        _V("batch_health_file", "optional"),  # default: <tempdir>/callback-scheduler-worker.alive
        _V("batch_heartbeat_seconds", "float", 5.0, gt=0, le=60),
        _V("batch_health_max_age_seconds", "float", 30.0, gt=0),
    )
}
del _V


def split_list(raw: str) -> tuple[str, ...]:
    """Split a value holding items separated by commas or whitespace.

    Parameters
    ----------
    raw
        E.g. ``"a.example.com, b.example.com"`` or ``"whsec_new whsec_old"``.

    Returns
    -------
    tuple[str, ...]
        The non-empty items in their original order.
    """
    return tuple(raw.replace(",", " ").split())


_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


def parse(variable: Variable, environ: Any) -> Any:
    """Return ``variable``'s value from ``environ``, as ``Settings`` would read it.

    Secrets come back as plain strings (the caller keeps them out of ``repr``).

    Parameters
    ----------
    variable
        The declaration (one of ``VARIABLES``).
    environ
        A mapping of environment names to values, e.g. ``os.environ``.

    Returns
    -------
    Any
        The value; the default when the variable is unset, empty or blank.

    Raises
    ------
    ValueError
        The value is not of the kind or outside the bounds; the message names the variable.
    """
    raw = (environ.get(variable.name) or "").strip()
    kind = variable.kind
    if not raw:
        return variable.default
    if kind in ("text", "optional", "secret"):
        if variable.min_length is not None and len(raw) < variable.min_length:
            raise ValueError(f"invalid setting {variable.name}: too short")
        return raw
    if kind in ("list", "secret_list"):
        return split_list(raw)
    if kind == "choice":
        if raw not in variable.choices:
            raise ValueError(f"invalid setting {variable.name}: one of {variable.choices}")
        return raw
    if kind == "bool":
        if raw.lower() not in _TRUE | _FALSE:
            raise ValueError(f"invalid setting {variable.name}: true or false")
        return raw.lower() in _TRUE
    try:
        value = _number(variable, raw)
    except ValueError:
        raise ValueError(f"invalid setting {variable.name}: {bounds(variable)}") from None
    return int(raw) if kind == "int" else value


_FLOAT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_INT = re.compile(r"[+-]?[0-9]+")


def _number(variable: Variable, raw: str) -> float:
    if not (_INT if variable.kind == "int" else _FLOAT).fullmatch(raw):
        raise ValueError(raw)  # ASCII digits only: no "1_000", "inf", "nan" or "0x10"
    value = float(raw)
    too_low = (variable.gt is not None and not value > variable.gt) or (
        variable.ge is not None and not value >= variable.ge
    )
    if too_low or (variable.le is not None and not value <= variable.le):
        raise ValueError(raw)
    return value


def bounds(variable: Variable) -> str:
    """Describe the numbers ``variable`` accepts, e.g. ``a number in (0, 900]``."""
    low = variable.gt if variable.gt is not None else variable.ge
    left = f"({low:g}" if variable.ge is None else f"[{low:g}"
    if low is None:
        left = "(-inf"
    right = ", inf)" if variable.le is None else f", {variable.le:g}]"
    what = "a whole number" if variable.kind == "int" else "a number"
    return f"{what} in {left}{right}"
