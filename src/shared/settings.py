"""The one definition of every environment variable the product reads.

Field ``foo_bar`` is read from ``FOO_BAR``. The API and the worker use ``get_settings()``;
the delivery path (API_CALL_LAMBDA) reads its few names with the standard library instead
(see ``shared.delivery.config``) so its cold start does not pay for pydantic — a test keeps
those names in step with the fields here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared.exceptions import ConfigurationError

Component = Literal["api", "delivery", "worker"]
StrList = Annotated[tuple[str, ...], NoDecode]
SecretList = Annotated[tuple[SecretStr, ...], NoDecode]


def split_list(value: object) -> object:
    """Split a comma- or whitespace-separated environment value into a tuple."""
    if isinstance(value, str):
        return tuple(item for item in value.replace(",", " ").split() if item)
    return value


class Settings(BaseSettings):
    """All settings; every field is read from its UPPER_SNAKE environment variable."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    # --- where and how it runs ---
    stage: Literal["dev", "prod"] = "dev"
    aws_region: str = "ap-northeast-2"
    scheduler_backend: Literal["eventbridge", "local"] = "eventbridge"

    # --- EventBridge Scheduler (the deployed backend) ---
    schedule_group_name: str = "default"
    scheduler_role_arn: str | None = None
    api_call_function_arn: str | None = None
    dead_letter_queue_arn: str | None = None
    dead_letter_queue_url: str | None = None

    # --- the task ledger (DynamoDB; issue 15): no table name, no ledger ---
    ledger_table_name: str | None = None
    ledger_retention_days: int = Field(default=30, ge=1, le=3650)  # kept after a task ends

    # --- the API and its targets ---
    api_base_url: str | None = None
    allowed_target_hosts: StrList = ()

    # --- secrets: a value, or a Secrets Manager ARN read at run time ---
    signing_secrets: SecretList = ()
    signing_secrets_arn: str | None = None
    api_tokens: SecretList = ()
    api_tokens_arn: str | None = None
    target_bearer_token: SecretStr | None = None
    target_bearer_token_arn: str | None = None

    # --- delivery and retries (schedule RetryPolicy, Lambda async config, local engine) ---
    retry_max_attempts: int = Field(default=2, ge=0, le=185)
    max_event_age_seconds: int = Field(default=3600, ge=60, le=86400)
    delivery_timeout_seconds: float = Field(default=10.0, gt=0, le=900)
    # a task's own timeout_seconds above this is refused (422): what the delivery can wait
    max_task_timeout_seconds: float = Field(default=25.0, gt=0, le=900)

    # --- local backend (issue 7) ---
    local_state_dir: str = ".local"
    local_workers: int = Field(default=8, ge=1, le=64)
    local_retry_base_seconds: float = Field(default=1.0, gt=0, le=3600)
    local_retry_max_backoff_seconds: float = Field(default=60.0, gt=0, le=86400)
    local_poll_seconds: float = Field(default=1.0, gt=0, le=60)

    # --- batch worker (issue 5) ---
    batch_enabled: bool = False  # host the scheduler inside the API process (never on Lambda)
    batch_timezone: str = "UTC"  # cron fields are read in this zone, never the container's
    redis_url: SecretStr | None = None  # redis:// or rediss:// (TLS); may hold a password
    # "memory": an in-process tick lock for ONE replica (make run without Redis); no REDIS_URL
    batch_lock_backend: Literal["redis", "memory"] = "redis"
    slack_webhook_url: SecretStr | None = None  # no webhook: alerts are only logged
    batch_schedules_packages: StrList = ("worker.schedules",)
    batch_key_prefix: str = Field(default="callback-scheduler:batch:", min_length=1)
    batch_time_budget_seconds: float = Field(default=300.0, gt=0)
    batch_stack_trace_limit: int = Field(default=2000, ge=100, le=2900)
    batch_grace_period_seconds: float = Field(default=30.0, ge=0, le=110)
    batch_lock_ttl_seconds: float = Field(default=300.0, ge=10, le=86400)
    batch_guard_ttl_seconds: float = Field(default=30.0, ge=1, le=3600)
    batch_misfire_grace_seconds: int = Field(default=30, ge=1, le=3600)
    batch_redis_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    batch_redis_alert_interval_seconds: float = Field(default=300.0, ge=0)
    batch_health_file: str | None = None  # default: <tempdir>/callback-scheduler-worker.alive
    batch_heartbeat_seconds: float = Field(default=5.0, gt=0, le=60)
    batch_health_max_age_seconds: float = Field(default=30.0, gt=0)
    # the largest offset between a replica's clock and the Redis server's (TIME); see README
    batch_max_clock_skew_seconds: float = Field(default=5.0, ge=0, le=600)
    batch_sync_pool_size: int = Field(default=8, ge=1, le=256)  # threads for plain (sync) jobs
    batch_loop_lag_alert_seconds: float = Field(default=5.0, gt=0, le=600)  # blocked-loop alert

    @field_validator(
        "allowed_target_hosts",
        "signing_secrets",
        "api_tokens",
        "batch_schedules_packages",
        mode="before",
    )
    @classmethod
    def _split(cls, value: object) -> object:
        return split_list(value)

    def missing_for(self, component: Component) -> list[str]:
        """Return the environment names that ``component`` needs and that are not set."""
        missing: list[str] = []
        if component == "api":
            if not self.api_base_url:
                missing.append("API_BASE_URL")
            if not (self.api_tokens or self.api_tokens_arn):
                missing.append("API_TOKENS (or API_TOKENS_ARN)")
            if not (self.signing_secrets or self.signing_secrets_arn):
                missing.append("SIGNING_SECRETS (or SIGNING_SECRETS_ARN)")
            if self.scheduler_backend == "eventbridge":
                for name in (
                    "scheduler_role_arn",
                    "api_call_function_arn",
                    "dead_letter_queue_arn",
                ):
                    if not getattr(self, name):
                        missing.append(name.upper())
        if component == "worker" and self.batch_lock_backend == "redis" and self.redis_url is None:
            missing.append("REDIS_URL")
        return missing

    def ensure_ready(self, component: Component) -> Settings:
        """Raise ``ConfigurationError`` naming every missing variable; return self."""
        missing = self.missing_for(component)
        if missing:
            raise ConfigurationError(
                f"missing required setting(s) for the {component}: {', '.join(missing)}",
                details={"missing": missing},
            )
        return self


def load_settings() -> Settings:
    """Read the environment now; turn pydantic's error into a ``ConfigurationError``."""
    try:
        return Settings()
    except ValidationError as exc:
        names = ", ".join(str(err["loc"][0]).upper() for err in exc.errors() if err["loc"])
        raise ConfigurationError(f"invalid setting(s): {names}: {exc}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once."""
    return load_settings()
