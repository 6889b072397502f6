"""DeliveryConfig: read with the standard library, names in step with Settings, no leaks."""

from __future__ import annotations

import pytest

from shared.delivery.config import ENV_NAMES, DeliveryConfig
from shared.exceptions import ConfigurationError
from shared.settings import Settings


def test_every_env_name_is_a_settings_field() -> None:
    fields = set(Settings.model_fields)
    for field_name, env_name in ENV_NAMES.items():
        assert env_name.lower() in fields, env_name
        assert env_name == field_name.upper()


def test_from_env_reads_every_name() -> None:
    env = {
        "API_BASE_URL": "https://api.example.org",
        "ALLOWED_TARGET_HOSTS": "a.example.com, *.b.example.com  c.example.com",
        "SIGNING_SECRETS": "s-new,s-old",
        "SIGNING_SECRETS_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:sig",
        "TARGET_BEARER_TOKEN": "tok",
        "TARGET_BEARER_TOKEN_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:tok",
        "DEAD_LETTER_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/dlq",
        "DELIVERY_TIMEOUT_SECONDS": "2.5",
        "AWS_REGION": "us-east-1",
    }
    config = DeliveryConfig.from_env(env)
    assert config.allowed_target_hosts == ("a.example.com", "*.b.example.com", "c.example.com")
    assert config.signing_secrets == ("s-new", "s-old")
    assert config.delivery_timeout_seconds == 2.5
    assert config.aws_region == "us-east-1"
    assert config.target_bearer_token == "tok"
    assert config.dead_letter_queue_url == env["DEAD_LETTER_QUEUE_URL"]
    assert set(ENV_NAMES.values()) == set(env)


def test_defaults_match_settings() -> None:
    config = DeliveryConfig.from_env({})
    defaults = Settings.model_fields
    assert config.delivery_timeout_seconds == defaults["delivery_timeout_seconds"].default
    assert config.aws_region == defaults["aws_region"].default
    assert config.signing_secrets == ()
    assert config.api_base_url is None


def test_repr_hides_secret_values() -> None:
    config = DeliveryConfig.from_env(
        {"SIGNING_SECRETS": "sig-value-123", "TARGET_BEARER_TOKEN": "bearer-value-456"}
    )
    assert "sig-value-123" not in repr(config)
    assert "bearer-value-456" not in repr(config)


@pytest.mark.parametrize("value", ["0", "-1", "901", "ten"])
def test_bad_timeout_names_the_variable(value: str) -> None:
    with pytest.raises(ConfigurationError, match="DELIVERY_TIMEOUT_SECONDS"):
        DeliveryConfig.from_env({"DELIVERY_TIMEOUT_SECONDS": value})
