"""Delivery settings read with the standard library (no pydantic on the cold-start path).

Every environment name read here is a field of ``shared.settings.Settings`` (a test keeps
them in step); ``Settings`` stays the one definition of the names and their meaning.
Secret values never appear in ``repr``; they are resolved at delivery time through
``shared.secrets`` (a literal value, or a Secrets Manager ARN read lazily and cached).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.exceptions import ConfigurationError
from shared.secrets import DEFAULT_TTL_SECONDS, resolve_secret, resolve_secret_list, split_values

DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_TIMEOUT_SECONDS = 900.0
DEFAULT_REGION = "ap-northeast-2"

# field name -> environment name (the UPPER_SNAKE name of the Settings field)
ENV_NAMES: Mapping[str, str] = {
    "api_base_url": "API_BASE_URL",
    "allowed_target_hosts": "ALLOWED_TARGET_HOSTS",
    "signing_secrets": "SIGNING_SECRETS",
    "signing_secrets_arn": "SIGNING_SECRETS_ARN",
    "target_bearer_token": "TARGET_BEARER_TOKEN",
    "target_bearer_token_arn": "TARGET_BEARER_TOKEN_ARN",
    "dead_letter_queue_url": "DEAD_LETTER_QUEUE_URL",
    "delivery_timeout_seconds": "DELIVERY_TIMEOUT_SECONDS",
    "aws_region": "AWS_REGION",
}


@dataclass(frozen=True)
class DeliveryConfig:
    """What the delivery core needs; build it with ``DeliveryConfig.from_env()``.

    ``signing_secrets`` and ``target_bearer_token`` are excluded from ``repr``. When the
    matching ``*_arn`` is set, the secret is read from Secrets Manager at delivery time
    (cached ``secrets_ttl_seconds`` per container) and wins over the literal value.
    """

    api_base_url: str | None = None
    allowed_target_hosts: tuple[str, ...] = ()
    signing_secrets: tuple[str, ...] = field(default=(), repr=False)
    signing_secrets_arn: str | None = None
    target_bearer_token: str | None = field(default=None, repr=False)
    target_bearer_token_arn: str | None = None
    dead_letter_queue_url: str | None = None
    delivery_timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    aws_region: str = DEFAULT_REGION
    secrets_ttl_seconds: float = DEFAULT_TTL_SECONDS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DeliveryConfig:
        """Read the delivery settings from ``environ`` (default ``os.environ``).

        Parameters
        ----------
        environ
            The environment to read; names are those of ``ENV_NAMES``.

        Returns
        -------
        DeliveryConfig
            The settings; empty values count as unset.

        Raises
        ------
        ConfigurationError
            ``DELIVERY_TIMEOUT_SECONDS`` is not a number in (0, 900].
        """
        env = os.environ if environ is None else environ

        def text(name: str) -> str | None:
            value = env.get(ENV_NAMES[name], "").strip()
            return value or None

        raw_timeout = text("delivery_timeout_seconds")
        timeout = DEFAULT_TIMEOUT_SECONDS
        if raw_timeout is not None:
            try:
                timeout = float(raw_timeout)
            except ValueError:
                timeout = -1.0
            if not 0 < timeout <= MAX_TIMEOUT_SECONDS:
                raise ConfigurationError(
                    "invalid setting DELIVERY_TIMEOUT_SECONDS: a number in (0, 900] is required"
                )
        return cls(
            api_base_url=text("api_base_url"),
            allowed_target_hosts=split_values(text("allowed_target_hosts") or ""),
            signing_secrets=split_values(text("signing_secrets") or ""),
            signing_secrets_arn=text("signing_secrets_arn"),
            target_bearer_token=text("target_bearer_token"),
            target_bearer_token_arn=text("target_bearer_token_arn"),
            dead_letter_queue_url=text("dead_letter_queue_url"),
            delivery_timeout_seconds=timeout,
            aws_region=text("aws_region") or DEFAULT_REGION,
        )

    def current_signing_secrets(self) -> tuple[str, ...]:
        """Return the signing secrets to use now (newest first), reading the ARN if set.

        Returns
        -------
        tuple[str, ...]
            The secrets; empty when none is configured.

        Raises
        ------
        BackendUnavailableError
            Secrets Manager could not be read.
        """
        return resolve_secret_list(
            self.signing_secrets,
            self.signing_secrets_arn,
            region=self.aws_region,
            ttl_seconds=self.secrets_ttl_seconds,
        )

    def current_bearer_token(self) -> str | None:
        """Return the bearer token for targets, reading the ARN if set; ``None`` if unset.

        Returns
        -------
        str or None
            The token.

        Raises
        ------
        BackendUnavailableError
            Secrets Manager could not be read.
        """
        return resolve_secret(
            self.target_bearer_token,
            self.target_bearer_token_arn,
            region=self.aws_region,
            ttl_seconds=self.secrets_ttl_seconds,
        )
