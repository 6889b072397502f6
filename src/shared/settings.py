"""Settings of the API and the worker: pydantic-settings over ``shared.environment``.

Field ``foo_bar`` is read from ``FOO_BAR``. Every field's default and bounds come from its
declaration in ``shared.environment.VARIABLES`` (the one definition of every variable), and
every raw value is parsed there too (``parse``), so ``Settings`` and the delivery path's
standard-library view (``shared.delivery.config``) read each value alike; a test checks the
field types against the declared kinds. The API and the worker use ``get_settings()``.
"""

# No `from __future__ import annotations` here: pydantic would compile and evaluate every
# field's annotation string when `Settings` is made, at the API's cold start.
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from shared.environment import VARIABLES, parse
from shared.exceptions import ConfigurationError

Component = Literal["api", "delivery", "worker"]
StrList = Annotated[tuple[str, ...], NoDecode]
SecretList = Annotated[tuple[SecretStr, ...], NoDecode]


def declared(field: str) -> Any:
    """Return the pydantic ``Field`` of ``field``: default and bounds as declared."""
    v = VARIABLES[field]
    return Field(v.default, ge=v.ge, gt=v.gt, le=v.le, min_length=v.min_length)


class Settings(BaseSettings):
    """All settings; every field is read from its UPPER_SNAKE environment variable.

    Meanings, defaults and bounds: ``shared.environment.VARIABLES``.
    """

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    # --- where and how it runs ---
    stage: Literal["dev", "prod"] = declared("stage")
    aws_region: str = declared("aws_region")
    scheduler_backend: Literal["eventbridge", "local"] = declared("scheduler_backend")

    # --- EventBridge Scheduler (the deployed backend) ---
    schedule_group_name: str = declared("schedule_group_name")
    scheduler_role_arn: str | None = declared("scheduler_role_arn")
    api_call_function_arn: str | None = declared("api_call_function_arn")
    dead_letter_queue_arn: str | None = declared("dead_letter_queue_arn")
    dead_letter_queue_url: str | None = declared("dead_letter_queue_url")

    # --- the task ledger (DynamoDB; issue 15): no table name, no ledger ---
    ledger_table_name: str | None = declared("ledger_table_name")
    ledger_retention_days: int = declared("ledger_retention_days")  # kept after a task ends

    # --- the API and its targets ---
    api_base_url: str | None = declared("api_base_url")
    allowed_target_hosts: StrList = declared("allowed_target_hosts")

    # --- secrets: a value, or a Secrets Manager ARN read at run time ---
    signing_secrets: SecretList = declared("signing_secrets")
    signing_secrets_arn: str | None = declared("signing_secrets_arn")
    api_tokens: SecretList = declared("api_tokens")
    api_tokens_arn: str | None = declared("api_tokens_arn")
    target_bearer_token: SecretStr | None = declared("target_bearer_token")
    target_bearer_token_arn: str | None = declared("target_bearer_token_arn")

    # --- delivery and retries (schedule RetryPolicy, Lambda async config, local engine) ---
    retry_max_attempts: int = declared("retry_max_attempts")
    max_event_age_seconds: int = declared("max_event_age_seconds")
    delivery_timeout_seconds: float = declared("delivery_timeout_seconds")
    # a task's own timeout_seconds above this is refused (422): what the delivery can wait
    max_task_timeout_seconds: float = declared("max_task_timeout_seconds")

    # --- local backend (issue 7) ---
    local_state_dir: str = declared("local_state_dir")
    local_workers: int = declared("local_workers")  # deliveries in flight, all hosts
    local_host_concurrency: str = declared("local_host_concurrency")
    local_retry_base_seconds: float = declared("local_retry_base_seconds")
    local_retry_max_backoff_seconds: float = declared("local_retry_max_backoff_seconds")
    local_poll_seconds: float = declared("local_poll_seconds")

    # --- batch worker (issue 5) ---
    batch_enabled: bool = declared("batch_enabled")
    batch_timezone: str = declared("batch_timezone")
    redis_url: SecretStr | None = declared("redis_url")
    batch_lock_backend: Literal["redis", "memory"] = declared("batch_lock_backend")
    slack_webhook_url: SecretStr | None = declared("slack_webhook_url")
    batch_schedules_packages: StrList = declared("batch_schedules_packages")
    batch_key_prefix: str = declared("batch_key_prefix")
    batch_time_budget_seconds: float = declared("batch_time_budget_seconds")
    batch_stack_trace_limit: int = declared("batch_stack_trace_limit")
    batch_grace_period_seconds: float = declared("batch_grace_period_seconds")
    batch_lock_ttl_seconds: float = declared("batch_lock_ttl_seconds")
    batch_guard_ttl_seconds: float = declared("batch_guard_ttl_seconds")
    batch_misfire_grace_seconds: int = declared("batch_misfire_grace_seconds")
    batch_redis_timeout_seconds: float = declared("batch_redis_timeout_seconds")
    batch_redis_alert_interval_seconds: float = declared("batch_redis_alert_interval_seconds")
    batch_health_file: str | None = declared("batch_health_file")
    batch_heartbeat_seconds: float = declared("batch_heartbeat_seconds")
    batch_health_max_age_seconds: float = declared("batch_health_max_age_seconds")
    batch_max_clock_skew_seconds: float = declared("batch_max_clock_skew_seconds")
    batch_sync_pool_size: int = declared("batch_sync_pool_size")
    batch_loop_lag_alert_seconds: float = declared("batch_loop_lag_alert_seconds")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment. No ``.env`` file or secrets directory is ever
        configured, so their sources (which still walk every field) are left out: cold start."""
        return (init_settings, env_settings)

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, values: Any) -> Any:
        """Parse raw (string) values with ``shared.environment.parse``: blank means unset."""
        if not isinstance(values, dict):
            return values
        parsed: dict[str, Any] = {}
        problems: list[str] = []
        for field, value in values.items():
            variable = VARIABLES.get(field)
            if variable is None or not isinstance(value, str):
                parsed[field] = value
                continue
            try:
                parsed[field] = parse(variable, {variable.name: value})
            except ValueError as exc:
                problems.append(str(exc))
        if problems:
            raise ValueError("; ".join(problems))
        return parsed

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

    def ensure_ready(self, component: Component) -> "Settings":
        """Raise ``ConfigurationError`` naming every missing variable; return self."""
        missing = self.missing_for(component)
        if missing:
            raise ConfigurationError(
                f"missing required setting(s) for the {component}: {', '.join(missing)}",
                details={"missing": missing},
            )
        return self


def load_settings() -> Settings:
    """Read the environment now; turn pydantic's error into a ``ConfigurationError``.

    The message names every invalid variable and what it accepts, never a value (the
    environment holds secrets).
    """
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False, include_input=False):
            text = str(err["msg"]).removeprefix("Value error, ").replace("invalid setting ", "")
            problems.append(f"{str(err['loc'][0]).upper()}: {text}" if err["loc"] else text)
        raise ConfigurationError(f"invalid setting(s): {'; '.join(problems)}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once."""
    return load_settings()
