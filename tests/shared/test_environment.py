"""One definition of every variable: Settings and the delivery view agree on every value."""

from __future__ import annotations

import os
from typing import Any, Literal, get_args, get_origin
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from pydantic_settings import NoDecode

from local.backend.config import EngineConfig
from local.backend.wiring import engine_config
from shared.delivery.config import ENV_NAMES, FIELDS, DeliveryConfig
from shared.environment import VARIABLES, parse
from shared.exceptions import ConfigurationError
from shared.settings import Settings, load_settings

KIND_OF_ANNOTATION: dict[Any, str] = {
    str: "text",
    str | None: "optional",
    SecretStr | None: "secret",
    tuple[str, ...]: "list",  # StrList: Annotated with NoDecode (in the field's metadata)
    tuple[SecretStr, ...]: "secret_list",  # SecretList
    int: "int",
    float: "float",
    bool: "bool",
}
# Raw values that tell parsers apart: blanks, signs, exponents, underscores, non-ASCII digits,
# inf/nan, hex, bounds and just past them, separators.
EDGES = [
    "", " ", "\t", "0", "-0", "+1", "1.", ".5", "1e1", "1E-1", "1_0", "\u0661", "\u0663.5", "inf",
    "-inf", "nan", "NaN", "infinity", "0x10", "2.0", "2.5", "900", "900.0", "900.0001",
    "901", "185", "186", "59", "60", "86400", "86401", "a, b", " a ,, b ", "true", "no",
    "dev", "prod", "Dev", "local", "memory", "x",
]  # fmt: skip
RAW = st.one_of(
    st.sampled_from(EDGES),
    st.text(alphabet="0123456789.+-eE_ ,x\t", max_size=8),
    st.text(st.characters(exclude_characters="\x00", codec="utf-8"), max_size=6),
)


def settings_value(field: str, value: Any) -> Any:
    """Unwrap SecretStr so a Settings value compares with the delivery view's."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, tuple):
        return tuple(v.get_secret_value() if isinstance(v, SecretStr) else v for v in value)
    return value


def read_with_settings(field: str, raw: str) -> tuple[bool, Any]:
    with mock.patch.dict(os.environ, {VARIABLES[field].name: raw}, clear=True):
        try:
            return True, settings_value(field, getattr(Settings(), field))
        except Exception:
            return False, None


def read_with_parse(field: str, raw: str) -> tuple[bool, Any]:
    try:
        return True, parse(VARIABLES[field], {VARIABLES[field].name: raw})
    except ValueError:
        return False, None


def test_every_settings_field_is_declared_once_with_its_kind() -> None:
    assert set(Settings.model_fields) == set(VARIABLES)
    for name, info in Settings.model_fields.items():
        variable = VARIABLES[name]
        annotation = info.annotation
        if get_origin(annotation) is Literal:
            assert variable.kind == "choice", name
            assert get_args(annotation) == variable.choices, name
        else:
            assert KIND_OF_ANNOTATION[annotation] == variable.kind, name
        if variable.kind in ("list", "secret_list"):  # parsed by us, never JSON-decoded
            assert NoDecode in info.metadata, name
        assert info.default == variable.default, name
        assert info.alias is None, name
        assert info.validation_alias is None, name
        assert variable.name == name.upper()


def test_delivery_view_reads_only_declared_names() -> None:
    assert set(FIELDS) <= set(VARIABLES)
    assert {field: field.upper() for field in FIELDS} == ENV_NAMES


@pytest.mark.timeout(120)
@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(sorted(VARIABLES)), raw=RAW)
def test_settings_and_the_standard_library_parser_agree(field: str, raw: str) -> None:
    assert read_with_settings(field, raw) == read_with_parse(field, raw), (field, raw)


@pytest.mark.timeout(120)
@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(FIELDS), raw=RAW)
def test_delivery_config_and_settings_agree(field: str, raw: str) -> None:
    ok, expected = read_with_settings(field, raw)
    environ = {VARIABLES[field].name: raw}
    if not ok:
        with pytest.raises(ConfigurationError, match=VARIABLES[field].name):
            DeliveryConfig.from_env(environ)
        return
    assert getattr(DeliveryConfig.from_env(environ), field) == expected, (field, raw)
    with mock.patch.dict(os.environ, environ, clear=True):
        assert DeliveryConfig.from_settings(Settings()) == DeliveryConfig.from_env(environ)


def test_numbers_read_as_written() -> None:
    timeout = VARIABLES["delivery_timeout_seconds"]
    for raw, expected in (("2.5", 2.5), (" 900 ", 900.0), ("1e2", 100.0), (".5", 0.5)):
        assert parse(timeout, {"DELIVERY_TIMEOUT_SECONDS": raw}) == expected
    for raw in ("0", "900.5", "inf", "nan", "1_0", "\u0661", "0x10", "ten"):
        with pytest.raises(ValueError, match=r"DELIVERY_TIMEOUT_SECONDS: a number in \(0, 900\]"):
            parse(timeout, {"DELIVERY_TIMEOUT_SECONDS": raw})
    attempts = VARIABLES["retry_max_attempts"]
    assert parse(attempts, {"RETRY_MAX_ATTEMPTS": "+3"}) == 3
    with pytest.raises(ValueError, match=r"a whole number in \[0, 185\]"):
        parse(attempts, {"RETRY_MAX_ATTEMPTS": "2.0"})


def test_blank_values_count_as_unset_everywhere() -> None:
    blank = {"API_BASE_URL": "", "STAGE": "  ", "DELIVERY_TIMEOUT_SECONDS": " ", "AWS_REGION": ""}
    with mock.patch.dict(os.environ, blank, clear=True):
        settings_now = load_settings()
    assert settings_now.api_base_url is None
    assert settings_now.stage == "dev"
    assert settings_now.delivery_timeout_seconds == 10.0
    assert "API_BASE_URL" in settings_now.missing_for("api")
    config = DeliveryConfig.from_env(blank)
    assert config.api_base_url is None
    assert config.delivery_timeout_seconds == 10.0
    assert config.aws_region == "ap-northeast-2"


def test_engine_defaults_are_the_declared_ones() -> None:
    with mock.patch.dict(os.environ, {}, clear=True):
        assert engine_config(Settings()) == EngineConfig()
    assert EngineConfig().workers == 256
    assert EngineConfig().max_event_age_seconds == 3600.0


def test_delivery_config_is_immutable_and_hides_secrets() -> None:
    config = DeliveryConfig(signing_secrets=("sig-value-123",), target_bearer_token="tok-456")
    with pytest.raises(AttributeError):
        config.api_base_url = "http://elsewhere"
    assert "sig-value-123" not in repr(config)
    assert "tok-456" not in repr(config)
    same = DeliveryConfig(signing_secrets=("sig-value-123",), target_bearer_token="tok-456")
    assert config == same
    assert config != DeliveryConfig()


def test_invalid_settings_name_the_variables_and_never_show_a_value() -> None:
    environ = {
        "SIGNING_SECRETS": "whsec_do-not-print-me",
        "REDIS_URL": "redis://:hunter2@cache:6379/0",
        "RETRY_MAX_ATTEMPTS": "many",
        "STAGE": "qa",
    }
    patched = mock.patch.dict(os.environ, environ, clear=True)
    with patched, pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = caught.value.message
    assert "RETRY_MAX_ATTEMPTS: a whole number in [0, 185]" in message
    assert "STAGE" in message
    for secret in ("do-not-print-me", "hunter2", "many", "qa"):
        assert secret not in message
        assert secret not in repr(caught.value.__cause__)
