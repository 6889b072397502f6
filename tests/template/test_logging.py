"""``LogLevel`` takes effect: Lambda's advanced logging controls and Powertools agree.

With ``LogFormat: JSON`` Lambda filters application records at ``ApplicationLogLevel``
(INFO when unset) and exports it as ``AWS_LAMBDA_LOG_LEVEL``, which Powertools obeys over
``POWERTOOLS_LOG_LEVEL``. So ``LogLevel=DEBUG`` without an ``ApplicationLogLevel`` logged
nothing below INFO. Each case below builds a real Powertools ``Logger`` from the environment a
deploy with that ``LogLevel`` gives the function.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from tests.template.cfn import Resolver

FUNCTIONS = ("ApiFunction", "ApiCallFunction", "DeadLetterRecorderFunction")
# Lambda's accepted values (AWS::Lambda::Function LoggingConfig).
APPLICATION_LEVELS = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}
SYSTEM_LEVELS = {"DEBUG", "INFO", "WARN"}
EXPECTED = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
}


def lambda_environment(cfn: dict[str, Any], function: str, level: str) -> dict[str, str]:
    """What Lambda and the template put in the function's environment for ``LogLevel``."""
    resolver = Resolver(cfn, {"LogLevel": level})
    config = resolver.value(cfn["Resources"][function]["Properties"]["LoggingConfig"])
    assert config["LogFormat"] == "JSON"
    assert config["ApplicationLogLevel"] in APPLICATION_LEVELS
    assert config["SystemLogLevel"] in SYSTEM_LEVELS
    env = resolver.environment(function)
    # Lambda sets these two from LoggingConfig (Lambda developer guide, "Log-level filtering").
    env["AWS_LAMBDA_LOG_FORMAT"] = config["LogFormat"]
    env["AWS_LAMBDA_LOG_LEVEL"] = config["ApplicationLogLevel"]
    return env


def test_the_parameter_offers_exactly_the_mapped_levels(cfn: dict[str, Any]) -> None:
    allowed = set(cfn["Parameters"]["LogLevel"]["AllowedValues"])
    assert allowed == set(cfn["Mappings"]["LambdaLogLevel"]) == set(EXPECTED)


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("level", sorted(EXPECTED))
def test_log_level_reaches_the_function_logger(
    cfn: dict[str, Any], monkeypatch: pytest.MonkeyPatch, function: str, level: str
) -> None:
    env = lambda_environment(cfn, function, level)
    for name in ("AWS_LAMBDA_LOG_LEVEL", "AWS_LAMBDA_LOG_FORMAT", "POWERTOOLS_LOG_LEVEL"):
        monkeypatch.setenv(name, env[name])
    with warnings.catch_warnings():
        # Powertools warns when its level and Lambda's disagree: they must not.
        warnings.simplefilter("error")
        logger = Logger(service=f"log-level-{function}-{level}")
    assert logger.log_level == EXPECTED[level]


def test_system_logs_keep_the_report_lines_unless_debugging(cfn: dict[str, Any]) -> None:
    # START/END/REPORT (duration, memory used) are platform INFO records.
    for level in EXPECTED:
        system = Resolver(cfn, {"LogLevel": level}).value(
            {"Fn::FindInMap": ["LambdaLogLevel", level, "System"]}
        )
        assert system == ("DEBUG" if level == "DEBUG" else "INFO")


def test_the_worker_uses_the_same_level(cfn: dict[str, Any]) -> None:
    overrides = {"WorkerImageUri": "repo/worker:1", "LogLevel": "WARNING"}
    task = Resolver(cfn, overrides).value(cfn["Resources"]["WorkerTaskDefinition"]["Properties"])
    env = {e["Name"]: e["Value"] for e in task["ContainerDefinitions"][0]["Environment"]}
    assert env["POWERTOOLS_LOG_LEVEL"] == "WARNING"
