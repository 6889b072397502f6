"""The API's secrets: client tokens and signing secrets, from values or Secrets Manager."""

from __future__ import annotations

from shared.secrets import resolve_secret_list
from shared.settings import Settings


def client_tokens(settings: Settings) -> tuple[str, ...]:
    """Return every accepted client API token (API_TOKENS, or the API_TOKENS_ARN secret)."""
    literal = tuple(token.get_secret_value() for token in settings.api_tokens)
    return resolve_secret_list(literal, settings.api_tokens_arn, region=settings.aws_region)


def signing_secrets(settings: Settings) -> tuple[str, ...]:
    """Return every accepted signing secret (SIGNING_SECRETS, or the SIGNING_SECRETS_ARN one)."""
    literal = tuple(secret.get_secret_value() for secret in settings.signing_secrets)
    return resolve_secret_list(literal, settings.signing_secrets_arn, region=settings.aws_region)
