"""Stateful resources keep their data when the stack is deleted or a resource is replaced."""

from __future__ import annotations

from typing import Any

from tests.template.cfn import resources_of_type

STATEFUL = ("AWS::SQS::Queue", "AWS::SecretsManager::Secret", "AWS::Logs::LogGroup")


def test_every_queue_secret_and_log_group_is_retained(cfn: dict[str, Any]) -> None:
    found = set()
    for kind in STATEFUL:
        for logical_id, resource in resources_of_type(cfn, kind).items():
            found.add(logical_id)
            assert resource.get("DeletionPolicy") == "Retain", logical_id
            assert resource.get("UpdateReplacePolicy") == "Retain", logical_id
    # The README's tear-down lists exactly these as what remains.
    assert found == {
        "DeliveryDeadLetterQueue",
        "SchedulerDeadLetterQueue",
        "SigningSecret",
        "ApiTokensSecret",
        "ApiFunctionLogGroup",
        "ApiCallFunctionLogGroup",
        "DeadLetterRecorderFunctionLogGroup",
        "HttpApiAccessLogGroup",
        "WorkerLogGroup",
    }


def test_functions_log_to_their_retained_groups(cfn: dict[str, Any]) -> None:
    # Without an explicit LoggingConfig.LogGroup, Lambda would create /aws/lambda/<name>
    # itself: never expiring and outside the stack.
    for function, group in (
        ("ApiFunction", "ApiFunctionLogGroup"),
        ("ApiCallFunction", "ApiCallFunctionLogGroup"),
        ("DeadLetterRecorderFunction", "DeadLetterRecorderFunctionLogGroup"),
    ):
        config = cfn["Resources"][function]["Properties"]["LoggingConfig"]
        assert config["LogGroup"] == {"Ref": group}
