"""`sam local` gets every setting each function needs, from events/env.json, at the source.

Under `sam local` the SAM CLI resolves ``Ref`` of a resource to its logical id and ``GetAtt``
to an empty string (or a made-up ARN), so without overrides the API fails at init and
API_CALL_LAMBDA reads ``DEAD_LETTER_QUEUE_URL="DeliveryDeadLetterQueue"``. The environment
below is resolved by the SAM CLI's own classes (``sam_local_env.py``, in ``.venv-sam``), with
events/env.json applied exactly as ``--env-vars`` applies it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from shared.delivery.config import DeliveryConfig
from shared.exceptions import ConfigurationError
from shared.settings import Settings
from tests.support import EVENTS, FakeLambdaContext, fresh_import, load_event
from tests.template.cfn import Resolver
from tests.template.conftest import TEMPLATE, run
from tests.template.test_env import SETTING_NAMES, settings_from

ENV_FILE = EVENTS / "env.json"
# What each function reads from another resource of the stack (a queue, the API).
RESOURCE_VALUES = {
    "ApiFunction": ("API_BASE_URL", "DEAD_LETTER_QUEUE_ARN", "API_CALL_FUNCTION_ARN"),
    "ApiCallFunction": ("API_BASE_URL", "DEAD_LETTER_QUEUE_URL"),
    "DeadLetterRecorderFunction": ("DEAD_LETTER_QUEUE_ARN", "DEAD_LETTER_QUEUE_URL"),
}


@pytest.fixture(scope="module")
def sam_local(sam_bin: Path) -> dict[str, Any]:
    """Function -> {"declared": names in the template, "environment": what SAM passes}."""
    script = Path(__file__).with_name("sam_local_env.py")
    out = run([str(sam_bin / "python"), str(script), str(TEMPLATE), str(ENV_FILE)], timeout=120)
    resolved: dict[str, Any] = json.loads(out)
    return resolved


def logical_ids(cfn: dict[str, Any]) -> set[str]:
    return set(cfn["Resources"])


def test_env_file_names_only_variables_the_template_declares(sam_local: dict[str, Any]) -> None:
    # SAM silently ignores an --env-vars name the function does not declare.
    overrides = json.loads(ENV_FILE.read_text())
    assert set(overrides) == {"ApiFunction", "ApiCallFunction", "DeadLetterRecorderFunction"}
    for function, values in overrides.items():
        assert set(values) <= set(sam_local[function]["declared"]), function


def test_no_function_gets_a_logical_id_or_an_empty_resource_value(
    sam_local: dict[str, Any], cfn: dict[str, Any]
) -> None:
    ids = logical_ids(cfn)
    for function, resolved in sam_local.items():
        env = {n: v for n, v in resolved["environment"].items() if n in resolved["declared"]}
        assert not {n for n, v in env.items() if v in ids}, function
        for name, value in env.items():
            if name.endswith("_ARN") and value:
                assert value.startswith("arn:aws:"), (function, name)
                assert ":function:SchedulerRole" not in value  # SAM's made-up GetAtt value
        # Every resource-derived value is set to something real.
        for name in RESOURCE_VALUES[function]:
            assert env[name], (function, name)


def test_the_api_is_ready_under_sam_local(
    sam_local: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = sam_local["ApiFunction"]["environment"]
    settings = settings_from({n: v for n, v in env.items() if n in SETTING_NAMES}, monkeypatch)
    assert settings.missing_for("api") == []
    assert settings.scheduler_role_arn
    assert settings.scheduler_role_arn.startswith("arn:aws:iam::")
    assert settings.api_call_function_arn
    assert ":function:" in settings.api_call_function_arn
    assert settings.dead_letter_queue_arn
    assert settings.dead_letter_queue_arn.startswith("arn:aws:sqs:")
    assert settings.api_tokens
    assert settings.signing_secrets


def test_api_call_reaches_a_receiver_on_the_host(sam_local: dict[str, Any]) -> None:
    env = sam_local["ApiCallFunction"]["environment"]
    config = DeliveryConfig.from_env(env)
    assert config.signing_secrets
    assert config.signing_secrets_arn is None
    # 127.0.0.1 inside the container is the container: the host is host.docker.internal
    # (`--add-host host.docker.internal:host-gateway`, README "Trying the functions").
    assert urlsplit(config.api_base_url or "").hostname == "host.docker.internal"
    assert urlsplit(config.dead_letter_queue_url or "").scheme == "https"
    # The same secret on both sides, so the API's callback route verifies the signature.
    assert env["SIGNING_SECRETS"] == sam_local["ApiFunction"]["environment"]["SIGNING_SECRETS"]


def lambda_env(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SETTING_NAMES | {"AWS_LAMBDA_FUNCTION_NAME"}:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def test_the_api_serves_health_with_the_sam_local_environment(
    sam_local: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    lambda_env(sam_local["ApiFunction"]["environment"], monkeypatch)
    handler = fresh_import("api_app.main").handler
    response = handler(load_event("api/health.json"), FakeLambdaContext())
    assert response["statusCode"] == 200, response


def test_an_init_error_on_lambda_is_a_503_never_a_200(
    sam_local: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # SAM's own values without env.json: API_BASE_URL and API_CALL_FUNCTION_ARN are "".
    env = dict(sam_local["ApiFunction"]["environment"])
    env.update(API_BASE_URL="", API_CALL_FUNCTION_ARN="")
    lambda_env(env, monkeypatch)
    handler = fresh_import("api_app.main").handler
    for event in ("api/health.json", "api/create_delay.json"):
        response = handler(load_event(event), FakeLambdaContext())
        assert response["statusCode"] == 503, response
        body = json.loads(response["body"])
        assert body["code"] == "configuration_error"
        assert "API_BASE_URL" in body["message"]
        assert "API_CALL_FUNCTION_ARN" in body["message"]


def test_outside_lambda_an_init_error_still_stops_the_import(
    sam_local: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = dict(sam_local["ApiFunction"]["environment"])
    env.update(API_BASE_URL="")
    env.pop("AWS_LAMBDA_FUNCTION_NAME")
    lambda_env(env, monkeypatch)
    with pytest.raises(ConfigurationError, match="API_BASE_URL"):
        fresh_import("api_app.main")


def test_settings_names_cover_every_declared_variable(sam_local: dict[str, Any]) -> None:
    declared = set(sam_local["ApiFunction"]["declared"]) | set(
        sam_local["ApiCallFunction"]["declared"]
    )
    pending = {"MAX_TASK_TIMEOUT_SECONDS"} - {n.upper() for n in Settings.model_fields}
    unknown = declared - SETTING_NAMES - pending - {"AWS_ENDPOINT_URL"}
    assert {n for n in unknown if not n.startswith("POWERTOOLS_")} == set()


def test_the_emulator_endpoint_is_empty_and_ignored_on_aws(
    cfn: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # `sam local --parameter-overrides SamLocalAwsEndpointUrl=...` points both functions at a
    # moto server on the host (make sam-local-check). On AWS the value is "", which botocore
    # ignores, and a Rule refuses any deploy that sets it (`sam local` evaluates no Rules).
    emulator = {"SamLocalAwsEndpointUrl": "http://host.docker.internal:5000"}
    for function in ("ApiFunction", "ApiCallFunction"):
        assert Resolver(cfn).environment(function)["AWS_ENDPOINT_URL"] == ""
        local = Resolver(cfn, emulator).environment(function)
        assert local["AWS_ENDPOINT_URL"] == "http://host.docker.internal:5000"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "")
    client = boto3.client("scheduler", region_name="ap-northeast-2")
    assert client.meta.endpoint_url == "https://scheduler.ap-northeast-2.amazonaws.com"
    rule = cfn["Rules"]["SamLocalEndpointNeverDeployed"]
    assert "RuleCondition" not in rule
    (assertion,) = rule["Assertions"]
    assert Resolver(cfn).truth(assertion["Assert"])
    assert not Resolver(cfn, emulator).truth(assertion["Assert"])
    pattern = cfn["Parameters"]["SamLocalAwsEndpointUrl"]["AllowedPattern"]
    assert re.fullmatch(pattern, "")
    assert not re.fullmatch(pattern, "https://scheduler.example.com")
