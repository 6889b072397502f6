"""samconfig.toml: a dev default and a prod environment whose overrides the template accepts."""

from __future__ import annotations

import shlex
import tomllib
from typing import Any

import pytest

from tests.template.conftest import ROOT

CONFIG = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))


def overrides(env: str) -> dict[str, str]:
    text = CONFIG[env]["deploy"]["parameters"]["parameter_overrides"]
    return dict(item.split("=", 1) for item in shlex.split(text))


@pytest.mark.parametrize("env", ["default", "prod"])
def test_environment_builds_cached_validates_with_lint_and_deploys(env: str) -> None:
    section = CONFIG[env]
    assert section["global"]["parameters"]["region"] == "ap-northeast-2"
    assert section["build"]["parameters"] == {"cached": True, "parallel": True}
    assert section["validate"]["parameters"]["lint"] is True
    deploy = section["deploy"]["parameters"]
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["resolve_s3"] is True
    assert deploy["confirm_changeset"] is (env == "prod")


def test_stages_have_their_own_stacks() -> None:
    stacks = {CONFIG[e]["global"]["parameters"]["stack_name"] for e in ("default", "prod")}
    assert len(stacks) == 2
    assert overrides("default")["Stage"] == "dev"
    assert overrides("prod")["Stage"] == "prod"


@pytest.mark.parametrize("env", ["default", "prod"])
def test_overrides_name_real_parameters_with_allowed_values(env: str, cfn: dict[str, Any]) -> None:
    params = cfn["Parameters"]
    for name, value in overrides(env).items():
        assert name in params, f"{name} is not a template parameter"
        allowed = params[name].get("AllowedValues")
        if allowed is not None:
            assert value in [str(v) for v in allowed], f"{name}={value}"
