"""Delivery settings read with the standard library (no pydantic on the cold-start path).

Every variable read here is declared once, in ``shared.environment.VARIABLES``, and parsed
by the same ``shared.environment.parse`` that ``shared.settings.Settings`` uses, so the two
agree on every value. Secret values never appear in ``repr``; they are resolved at delivery
time through ``shared.secrets`` (a literal value, or a Secrets Manager ARN read lazily and
cached). A plain class, not a dataclass: API_CALL_LAMBDA's init pays for every line here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from shared.environment import VARIABLES, parse
from shared.exceptions import ConfigurationError

# The variables the delivery path reads (field names of Settings and of DeliveryConfig).
FIELDS = (
    "api_base_url",
    "allowed_target_hosts",
    "signing_secrets",
    "signing_secrets_arn",
    "target_bearer_token",
    "target_bearer_token_arn",
    "dead_letter_queue_url",
    "delivery_timeout_seconds",
    "aws_region",
)
ENV_NAMES: Mapping[str, str] = {field: VARIABLES[field].name for field in FIELDS}
_DEFAULT: dict[str, Any] = {field: VARIABLES[field].default for field in FIELDS}
_HIDDEN = frozenset({"signing_secrets", "target_bearer_token"})


class DeliveryConfig:
    """What the delivery core needs; build it with ``DeliveryConfig.from_env()``.

    Keyword arguments are the ``FIELDS`` (defaults as declared in ``shared.environment``)
    and ``secrets_ttl_seconds`` (``None``: ``shared.secrets``' default). Immutable.
    ``signing_secrets`` and ``target_bearer_token`` are excluded from ``repr``. When the
    matching ``*_arn`` is set, the secret is read from Secrets Manager at delivery time
    (cached ``secrets_ttl_seconds`` per container) and wins over the literal value.
    """

    __slots__ = (*FIELDS, "secrets_ttl_seconds")

    api_base_url: str | None
    allowed_target_hosts: tuple[str, ...]
    signing_secrets: tuple[str, ...]
    signing_secrets_arn: str | None
    target_bearer_token: str | None
    target_bearer_token_arn: str | None
    dead_letter_queue_url: str | None
    delivery_timeout_seconds: float
    aws_region: str
    secrets_ttl_seconds: float | None

    def __init__(
        self,
        *,
        api_base_url: str | None = _DEFAULT["api_base_url"],
        allowed_target_hosts: tuple[str, ...] = _DEFAULT["allowed_target_hosts"],
        signing_secrets: tuple[str, ...] = _DEFAULT["signing_secrets"],
        signing_secrets_arn: str | None = _DEFAULT["signing_secrets_arn"],
        target_bearer_token: str | None = _DEFAULT["target_bearer_token"],
        target_bearer_token_arn: str | None = _DEFAULT["target_bearer_token_arn"],
        dead_letter_queue_url: str | None = _DEFAULT["dead_letter_queue_url"],
        delivery_timeout_seconds: float = _DEFAULT["delivery_timeout_seconds"],
        aws_region: str = _DEFAULT["aws_region"],
        secrets_ttl_seconds: float | None = None,
    ) -> None:
        values = locals()
        for name in self.__slots__:
            value = values[name]
            object.__setattr__(self, name, tuple(value) if isinstance(value, list) else value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"DeliveryConfig is immutable (cannot set {name})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DeliveryConfig):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, n) for n in self.__slots__))

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__ if n not in _HIDDEN)
        return f"DeliveryConfig({shown})"

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
            The settings; empty or blank values count as unset.

        Raises
        ------
        ConfigurationError
            A value is invalid (e.g. ``DELIVERY_TIMEOUT_SECONDS`` not a number in (0, 900]);
            the message names the variable.
        """
        env = os.environ if environ is None else environ
        try:
            return cls(**{field: parse(VARIABLES[field], env) for field in FIELDS})
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None

    @classmethod
    def from_settings(cls, settings: Any) -> DeliveryConfig:
        """Return the delivery view of a ``shared.settings.Settings`` (secrets unwrapped).

        Parameters
        ----------
        settings
            A ``Settings``; read by field name, so this module never imports pydantic.

        Returns
        -------
        DeliveryConfig
            The same values ``from_env`` reads from the same environment.
        """
        return cls(**{field: _plain(getattr(settings, field)) for field in FIELDS})

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
        from shared.secrets import resolve_secret_list  # first delivery, not init

        return resolve_secret_list(
            self.signing_secrets, self.signing_secrets_arn, region=self.aws_region, **self._ttl()
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
        from shared.secrets import resolve_secret

        return resolve_secret(
            self.target_bearer_token,
            self.target_bearer_token_arn,
            region=self.aws_region,
            **self._ttl(),
        )

    def _ttl(self) -> dict[str, float]:
        ttl = self.secrets_ttl_seconds
        return {} if ttl is None else {"ttl_seconds": ttl}


def _plain(value: Any) -> Any:
    """Unwrap pydantic's ``SecretStr`` (alone or in a tuple) without importing pydantic."""
    if isinstance(value, tuple):
        return tuple(_plain(item) for item in value)
    reveal = getattr(value, "get_secret_value", None)
    return reveal() if reveal is not None else value
