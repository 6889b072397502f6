"""Every environment variable the product reads, declared once (standard library only).

``TABLE`` below names each variable's field (read from its UPPER_SNAKE environment name),
kind, default and bounds. ``shared.settings.Settings`` (pydantic-settings: the API and the
worker) takes every field's default and bounds from here and parses raw values with
``parse``; so does the delivery path (``shared.delivery.config``, API_CALL_LAMBDA), whose
cold start thus never imports pydantic. Tests check that the two agree on every value.
An empty (or all-blank) value counts as unset everywhere. The table is one string, read
once at import: API_CALL_LAMBDA compiles this module on every cold start.
"""

from __future__ import annotations

from typing import Any

# Kinds: text (str with a default), optional (str or None), secret (secret str or None),
# choice (one of a|b), list and secret_list (separated by commas or whitespace), int, float,
# bool. Default "-": none (None, or empty for lists). Bounds: interval notation; "nonempty"
# for a text that may not be empty. "lambda" (a default or a bound) stands for
# LAMBDA_MAX_TIMEOUT_SECONDS.
TABLE = """
# field                              kind         default                    bounds
# --- where and how it runs ---
stage                                choice       dev                        dev|prod
aws_region                           text         ap-northeast-2
scheduler_backend                    choice       eventbridge                eventbridge|local
# --- EventBridge Scheduler (the deployed backend) ---
schedule_group_name                  text         default
scheduler_role_arn                   optional     -
api_call_function_arn                optional     -
dead_letter_queue_arn                optional     -
dead_letter_queue_url                optional     -
# --- the API and its targets ---
api_base_url                         optional     -
allowed_target_hosts                 list         -
# --- secrets: a value, or a Secrets Manager ARN read at run time ---
signing_secrets                      secret_list  -
signing_secrets_arn                  optional     -
api_tokens                           secret_list  -
api_tokens_arn                       optional     -
target_bearer_token                  secret       -
target_bearer_token_arn              optional     -
# --- delivery and retries (schedule RetryPolicy, Lambda async config, local engine) ---
retry_max_attempts                   int          2                          [0,185]
max_event_age_seconds                int          3600                       [60,86400]
delivery_timeout_seconds             float        10                         (0,lambda]
# a task's own timeout_seconds above this is refused (422): what the delivery can wait
max_task_timeout_seconds             float        25                         (0,lambda]
# --- the task ledger (DynamoDB): no table name, no ledger ---
ledger_table_name                    optional     -
# days a task's history is kept after it ends
ledger_retention_days                int          30                         [1,3650]
# --- local backend ---
local_state_dir                      text         .local
# deliveries in flight at most, all targets together
local_workers                        int          256                        [1,10000]
# per target (host:port): "8", or a default and overrides "4,hooks.partner.io=16"
local_host_concurrency               text         8
local_retry_base_seconds             float        1                          (0,3600]
local_retry_max_backoff_seconds      float        60                         (0,86400]
local_poll_seconds                   float        1                          (0,60]
# --- batch worker ---
# host the batch scheduler inside the API process (never on Lambda)
batch_enabled                        bool         false
# cron fields are read in this zone, never the container's
batch_timezone                       text         UTC
# redis:// or rediss:// (TLS); may hold a password
redis_url                            secret       -
# memory: an in-process tick lock for ONE replica (make run without Redis)
batch_lock_backend                   choice       redis                      redis|memory
# no webhook: alerts are only logged
slack_webhook_url                    secret       -
batch_schedules_packages             list         worker.schedules
batch_key_prefix                     text         callback-scheduler:batch:  nonempty
batch_time_budget_seconds            float        300                        (0,inf)
batch_stack_trace_limit              int          2000                       [100,2900]
batch_grace_period_seconds           float        30                         [0,110]
batch_lock_ttl_seconds               float        300                        [10,86400]
batch_guard_ttl_seconds              float        30                         [1,3600]
batch_misfire_grace_seconds          int          30                         [1,3600]
batch_redis_timeout_seconds          float        2                          (0,60]
batch_redis_alert_interval_seconds   float        300                        [0,inf)
# default: <tempdir>/callback-scheduler-worker.alive
batch_health_file                    optional     -
batch_heartbeat_seconds              float        5                          (0,60]
batch_health_max_age_seconds         float        30                         (0,inf)
# the largest offset between a replica's clock and the Redis server's (TIME)
batch_max_clock_skew_seconds         float        5                          [0,600]
# threads for plain (sync) jobs
batch_sync_pool_size                 int          8                          [1,256]
# a blocked event loop longer than this is alerted
batch_loop_lag_alert_seconds         float        5                          (0,600]
"""


# Lambda's longest timeout: the ceiling of every per-call and per-task HTTP timeout.
LAMBDA_MAX_TIMEOUT_SECONDS = 900.0


def _number_of(text: str) -> float:
    """A number of the table: a decimal, ``inf`` or ``lambda``."""
    return LAMBDA_MAX_TIMEOUT_SECONDS if text == "lambda" else float(text)


class Variable:
    """One environment variable: field name, kind, default and bounds (a ``TABLE`` row)."""

    __slots__ = ("bounds", "choices", "default", "field", "ge", "gt", "kind", "le", "min_length")
    ge: float | None
    gt: float | None
    le: float | None
    default: Any

    def __init__(self, field: str, kind: str, default: str = "-", bounds: str = "") -> None:
        self.field, self.kind = field, kind
        # as error messages show it, e.g. "(0, 900]"
        self.bounds = bounds.replace("lambda", f"{LAMBDA_MAX_TIMEOUT_SECONDS:g}").replace(",", ", ")
        self.choices: tuple[str, ...] = tuple(bounds.split("|")) if kind == "choice" else ()
        self.min_length: int | None = 1 if bounds == "nonempty" else None
        self.ge = self.gt = self.le = None
        if bounds[:1] in ("[", "("):
            low, high = (_number_of(end) for end in bounds[1:-1].split(","))
            if bounds[0] == "[":
                self.ge = low
            else:
                self.gt = low
            self.le = None if high == float("inf") else high
        self.default = None if default == "-" else default
        if kind in ("list", "secret_list"):
            self.default = () if default == "-" else split_list(default)
        elif kind == "int":
            self.default = int(default)
        elif kind == "float":
            self.default = _number_of(default)
        elif kind == "bool":
            self.default = default in _TRUE

    @property
    def name(self) -> str:
        """The environment name: the field name in upper case."""
        return self.field.upper()


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
VARIABLES: dict[str, Variable] = {
    row[0]: Variable(*row)
    for row in (line.split() for line in TABLE.splitlines())
    if row and not row[0].startswith("#")
}


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
    if not _is_decimal(raw, whole=kind == "int") or not _within(variable, float(raw)):
        what = "a whole number" if kind == "int" else "a number"
        raise ValueError(f"invalid setting {variable.name}: {what} in {variable.bounds}")
    return int(raw) if kind == "int" else float(raw)


def _digits(text: str) -> bool:
    """``[+-]?[0-9]+`` (ASCII digits only)."""
    body = text[1:] if text[:1] in ("+", "-") else text
    return body.isascii() and body.isdigit()


def _is_decimal(text: str, whole: bool) -> bool:
    """``[+-]?digits``, or for a float also ``1.``, ``.5``, ``1e-3``; no ``_``, inf, nan."""
    if whole:
        return _digits(text)
    mantissa, e, exponent = text.lower().partition("e")
    if mantissa[:1] in ("+", "-"):
        mantissa = mantissa[1:]
    unsigned = mantissa.replace(".", "", 1)
    if not (unsigned.isascii() and unsigned.isdigit()):
        return False
    return not e or _digits(exponent)


def _within(variable: Variable, value: float) -> bool:
    return (
        (variable.gt is None or value > variable.gt)
        and (variable.ge is None or value >= variable.ge)
        and (variable.le is None or value <= variable.le)
    )
