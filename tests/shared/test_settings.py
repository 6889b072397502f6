"""Settings: environment names, list parsing, and start-up failures that name the variable."""

from __future__ import annotations

import pytest

from shared.exceptions import ConfigurationError
from shared.settings import Settings, load_settings


def test_lists_are_split_on_commas_and_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED_TARGET_HOSTS", "a.example.com, b.example.com c.example.com")
    monkeypatch.setenv("SIGNING_SECRETS", "whsec_one,whsec_two")
    settings = Settings()
    assert settings.allowed_target_hosts == ("a.example.com", "b.example.com", "c.example.com")
    assert [s.get_secret_value() for s in settings.signing_secrets] == ["whsec_one", "whsec_two"]


def test_secrets_are_not_shown_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_TOKENS", "very-secret-token")
    assert "very-secret-token" not in repr(Settings())


def test_missing_api_values_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("API_BASE_URL", "API_TOKENS", "SIGNING_SECRETS", "SCHEDULER_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError) as caught:
        Settings(scheduler_backend="eventbridge").ensure_ready("api")
    for name in ("API_BASE_URL", "API_TOKENS", "SIGNING_SECRETS", "SCHEDULER_ROLE_ARN"):
        assert name in caught.value.message


def test_local_backend_does_not_need_aws_names() -> None:
    settings = Settings(
        scheduler_backend="local",
        api_base_url="http://127.0.0.1:8000",
        api_tokens="t",  # type: ignore[arg-type]
        signing_secrets="s",  # type: ignore[arg-type]
    )
    assert settings.missing_for("api") == []


def test_invalid_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETRY_MAX_ATTEMPTS", "many")
    with pytest.raises(ConfigurationError, match="RETRY_MAX_ATTEMPTS"):
        load_settings()
