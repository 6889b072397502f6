"""Least privilege in the translated template: no wildcards but where AWS requires them,
PassRole only on SchedulerRole, and every AWS call the code makes is allowed to its role."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

from tests.template.cfn import Resolver, as_list, resources_of_type, role_statements
from tests.template.conftest import ROOT

# Resource "*" is allowed only here: these actions have no resource type in the Service
# Authorization Reference, so AWS accepts nothing narrower (checked below against the
# action data cfn-lint ships).
STAR_RESOURCE_ALLOWED = {
    ("ApiFunctionRole", "scheduler:ListSchedules"),
    ("WorkerTaskRole", "scheduler:ListSchedules"),
    ("WorkerExecutionRole", "ecr:GetAuthorizationToken"),
}
MANAGED_POLICIES = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
}
# Which role runs which code, and the AWS service of each boto3 method that code calls.
CODE_OF_ROLE = {
    "ApiFunctionRole": [
        "src/shared/scheduling/eventbridge.py",
        "src/shared/secrets.py",
        "src/shared/ledger/dynamodb.py",
    ],
    "ApiCallFunctionRole": [
        "src/shared/delivery/deadletter.py",
        "src/shared/secrets.py",
        "src/shared/ledger/recorder.py",
    ],
    "DeadLetterRecorderFunctionRole": ["src/shared/ledger/dead_letter_store.py"],
    "WorkerTaskRole": ["worker/aws_metrics.py"],
}
SERVICE_OF_METHOD = {
    "create_schedule": "scheduler",
    "get_schedule": "scheduler",
    "list_schedules": "scheduler",
    "delete_schedule": "scheduler",
    "update_schedule": "scheduler",
    "send_message": "sqs",
    "get_queue_attributes": "sqs",
    "get_secret_value": "secretsmanager",
    "get_item": "dynamodb",
    "put_item": "dynamodb",
    "update_item": "dynamodb",
    "delete_item": "dynamodb",
    "query": "dynamodb",
    "transact_write_items": "dynamodb",
}
# IAM has no action for a transaction: each item in it needs its own action.
ACTIONS_OF_METHOD = {"transact_write_items": ["dynamodb:PutItem", "dynamodb:UpdateItem"]}
BOTO_CALL = re.compile(
    r"\b(?:client|sm)\.(?!get_paginator)([a-z_]+)\(|get_paginator\(\"([a-z_]+)\"\)"
)
WORKER = {"WorkerImageUri": "repo/worker:1", "WorkerSlackWebhookSecretArn": "arn:aws:x"}


def allow_statements(cfn: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(role, s) for role, s in role_statements(cfn) if s["Effect"] == "Allow"]


def actions_without_resource_type() -> set[str]:
    data = json.loads(
        resources.files("cfnlint.data.AdditionalSpecs").joinpath("Policies.json").read_text()
    )
    return {
        f"{service}:{action}"
        for service, spec in data.items()
        for action, detail in spec.get("Actions", {}).items()
        if not detail.get("Resources")
    }


def test_no_action_wildcards(cfn: dict[str, Any]) -> None:
    for role, statement in allow_statements(cfn):
        for action in as_list(statement["Action"]):
            assert "*" not in action, f"{role} allows {action}"


def test_star_resources_only_where_aws_requires_them(cfn: dict[str, Any]) -> None:
    found = set()
    for role, statement in allow_statements(cfn):
        if "*" in as_list(statement["Resource"]):
            found |= {(role, action) for action in as_list(statement["Action"])}
            assert "Condition" not in statement or role == "WorkerTaskRole"
    assert found == STAR_RESOURCE_ALLOWED
    unscopable = actions_without_resource_type()
    for _, action in STAR_RESOURCE_ALLOWED:
        service, name = action.split(":")
        assert f"{service}:{name.lower()}" in unscopable, f"{action} could be scoped"


def test_only_aws_managed_lambda_basics_are_attached(cfn: dict[str, Any]) -> None:
    for role_id, role in resources_of_type(cfn, "AWS::IAM::Role").items():
        attached = set(Resolver(cfn).value(role["Properties"].get("ManagedPolicyArns", [])))
        assert attached <= MANAGED_POLICIES, role_id


def test_pass_role_only_on_scheduler_role_and_only_to_scheduler(cfn: dict[str, Any]) -> None:
    passing = [
        (role, s) for role, s in allow_statements(cfn) if "iam:PassRole" in as_list(s["Action"])
    ]
    assert len(passing) == 1
    role, statement = passing[0]
    assert role == "ApiFunctionRole"
    assert as_list(statement["Action"]) == ["iam:PassRole"]
    assert statement["Resource"] == {"Fn::GetAtt": ["SchedulerRole", "Arn"]}
    assert statement["Condition"] == {
        "StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}
    }


def test_schedule_actions_are_scoped_to_the_stacks_group(cfn: dict[str, Any]) -> None:
    resolver = Resolver(cfn)
    group_schedules = "arn:aws:scheduler:ap-northeast-2:123456789012:schedule/<ref:ScheduleGroup>/*"
    for role, statement in allow_statements(cfn):
        actions = as_list(statement["Action"])
        if any(a.startswith("scheduler:") and a != "scheduler:ListSchedules" for a in actions):
            assert role == "ApiFunctionRole"
            assert resolver.value(statement["Resource"]) == group_schedules


def test_every_aws_call_in_the_code_is_allowed_to_its_role(cfn: dict[str, Any]) -> None:
    allowed: dict[str, set[str]] = {}
    for role, statement in allow_statements(cfn):
        allowed.setdefault(role, set()).update(as_list(statement["Action"]))
    for role, files in CODE_OF_ROLE.items():
        for path in files:
            methods = {a or b for a, b in BOTO_CALL.findall((ROOT / path).read_text())}
            assert methods, f"no boto3 call found in {path}: update CODE_OF_ROLE"
            for method in methods:
                action = SERVICE_OF_METHOD[method] + ":" + method.title().replace("_", "")
                for needed in ACTIONS_OF_METHOD.get(method, [action]):
                    assert needed in allowed[role], f"{role} cannot {needed} ({path})"


def test_scheduler_role_trust_and_permissions(cfn: dict[str, Any]) -> None:
    role = cfn["Resources"]["SchedulerRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    # Confused deputy: only this account, and only schedules of this stack's group.
    condition = Resolver(cfn).value(trust["Condition"])
    assert condition == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnEquals": {
            "aws:SourceArn": (
                "arn:aws:scheduler:ap-northeast-2:123456789012:schedule-group/<ref:ScheduleGroup>"
            )
        },
    }
    granted = {
        (statement["Action"], json.dumps(statement["Resource"], sort_keys=True))
        for role_id, statement in allow_statements(cfn)
        if role_id == "SchedulerRole"
    }
    assert granted == {
        ("lambda:InvokeFunction", json.dumps({"Fn::GetAtt": ["ApiCallFunction", "Arn"]})),
        ("sqs:SendMessage", json.dumps({"Fn::GetAtt": ["SchedulerDeadLetterQueue", "Arn"]})),
    }


def test_worker_roles_trust_ecs_tasks_and_read_only_their_secrets(cfn: dict[str, Any]) -> None:
    resolver = Resolver(cfn, WORKER)
    for role_id in ("WorkerExecutionRole", "WorkerTaskRole"):
        trust = cfn["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]
        assert [s["Principal"] for s in trust["Statement"]] == [
            {"Service": "ecs-tasks.amazonaws.com"}
        ]
        # Only ECS tasks of this account may assume either role (confused deputy).
        assert [resolver.value(s["Condition"]) for s in trust["Statement"]] == [
            {"StringEquals": {"aws:SourceAccount": "123456789012"}}
        ]
    secrets = [
        resolver.value(s["Resource"])
        for role, s in allow_statements(cfn)
        if role == "WorkerExecutionRole" and s["Action"] == "secretsmanager:GetSecretValue"
    ]
    assert secrets == [["", "arn:aws:x"]]  # the Redis secret parameter (empty default) + Slack


def test_every_granted_schedule_action_is_called_by_the_code(cfn: dict[str, Any]) -> None:
    # The reverse of the check above: no scheduler permission the API never uses
    # (scheduler:UpdateSchedule was granted and never called).
    called = set()
    for path in CODE_OF_ROLE["ApiFunctionRole"]:
        for a, b in BOTO_CALL.findall((ROOT / path).read_text()):
            method = a or b
            if SERVICE_OF_METHOD[method] == "scheduler":
                called.add("scheduler:" + method.title().replace("_", ""))
    granted = {
        action
        for role, statement in allow_statements(cfn)
        if role == "ApiFunctionRole"
        for action in as_list(statement["Action"])
        if action.startswith("scheduler:")
    }
    assert "scheduler:UpdateSchedule" not in granted
    assert granted == called


SECRET_PARAMETERS = (
    "TargetBearerTokenArn",
    "WorkerRedisUrlSecretArn",
    "WorkerSlackWebhookSecretArn",
)
FULL_ARN = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:prod/redis-url-AbC123"


def test_secret_parameters_accept_only_full_arns(cfn: dict[str, Any]) -> None:
    # IAM matches a secret's full ARN (name + "-" + 6 random characters): a name or a partial
    # ARN in a policy Resource would deploy fine and then deny every read at run time.
    refused = [
        "prod/redis-url",
        "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:prod/redis-url",
        "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:prod/redis-url-AbC12",
        FULL_ARN + "\n",
        "arn:aws:ssm:ap-northeast-2:123456789012:parameter/prod/redis-url-AbC123",
    ]
    for name in SECRET_PARAMETERS:
        pattern = re.compile(cfn["Parameters"][name]["AllowedPattern"])
        assert pattern.fullmatch(FULL_ARN), name
        assert pattern.fullmatch(""), f"{name} stays optional"
        for value in refused:
            assert not pattern.fullmatch(value), (name, value)


KMS_KEY = "arn:aws:kms:ap-northeast-2:123456789012:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def kms_grants(cfn: dict[str, Any], overrides: dict[str, str]) -> dict[str, list[Any]]:
    """Role -> the resolved kms:Decrypt statements a deploy with ``overrides`` has."""
    resolver = Resolver(cfn, overrides)
    grants: dict[str, list[Any]] = {}
    for role_id, role in resources_of_type(cfn, "AWS::IAM::Role").items():
        if "Condition" in role and not resolver.condition(role["Condition"]):
            continue
        for policy in resolver.value(role["Properties"].get("Policies", [])):
            for statement in as_list(policy["PolicyDocument"]["Statement"]):
                if "kms:Decrypt" in as_list(statement["Action"]):
                    grants.setdefault(role_id, []).append(statement)
    return grants


def test_kms_decrypt_only_with_a_customer_key_and_only_through_secrets_manager(
    cfn: dict[str, Any],
) -> None:
    worker = {
        "WorkerImageUri": "repo/worker:1",
        "WorkerRedisUrlSecretArn": FULL_ARN,
        "TargetBearerTokenArn": FULL_ARN,
    }
    assert kms_grants(cfn, worker) == {}  # aws/secretsmanager needs no grant
    grants = kms_grants(cfn, {**worker, "SecretsKmsKeyArn": KMS_KEY})
    assert set(grants) == {"ApiCallFunctionRole", "WorkerExecutionRole"}
    for statements in grants.values():
        assert statements == [
            {
                "Sid": statements[0]["Sid"],
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": KMS_KEY,
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": "secretsmanager.ap-northeast-2.amazonaws.com"
                    }
                },
            }
        ]
    # A key without a bearer token secret: the function reads only the stack's own secrets.
    only_worker = kms_grants(
        cfn, {**worker, "TargetBearerTokenArn": "", "SecretsKmsKeyArn": KMS_KEY}
    )
    assert set(only_worker) == {"WorkerExecutionRole"}
    assert re.fullmatch(cfn["Parameters"]["SecretsKmsKeyArn"]["AllowedPattern"], KMS_KEY)
