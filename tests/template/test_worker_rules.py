"""A worker deploy with impossible parameters fails at template validation (Rules), before
CloudFormation creates anything: no network or Redis secret, no subnet, a CPU/memory pair
Fargate does not run."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.template.cfn import Resolver

COMPLETE = {
    "WorkerImageUri": "repo/worker:1",
    "WorkerVpcId": "vpc-0123456789abcdef0",
    "WorkerSubnetIds": "subnet-0123456789abcdef0,subnet-0fedcba9876543210",
    "WorkerRedisUrlSecretArn": (
        "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:redis-AbCdEf"
    ),
}
# Fargate's supported task sizes (AWS ECS developer guide, "Task CPU and memory"), written
# out by hand: CPU units -> memory MiB, within the values the template's parameters allow.
FARGATE = {
    "256": {"512", "1024", "2048"},
    "512": {"1024", "2048", "3072", "4096"},
    "1024": {"2048", "3072", "4096", "8192"},
    "2048": {"4096", "8192", "16384"},
    "4096": {"8192", "16384"},
}


def refusals(cfn: dict[str, Any], overrides: dict[str, str]) -> list[str]:
    """AssertDescriptions of every rule assertion that fails for these parameter values."""
    resolver = Resolver(cfn, overrides)
    failed = []
    for rule in cfn["Rules"].values():
        if "RuleCondition" in rule and not resolver.truth(rule["RuleCondition"]):
            continue
        failed += [
            a["AssertDescription"] for a in rule["Assertions"] if not resolver.truth(a["Assert"])
        ]
    return failed


def test_no_worker_no_rule_applies(cfn: dict[str, Any]) -> None:
    assert refusals(cfn, {}) == []
    assert refusals(cfn, {"WorkerCpu": "4096", "WorkerMemory": "512"}) == []


def test_a_complete_worker_passes(cfn: dict[str, Any]) -> None:
    assert refusals(cfn, COMPLETE) == []


@pytest.mark.parametrize(
    ("missing", "expected"),
    [
        ({"WorkerVpcId": ""}, "WorkerVpcId is required"),
        ({"WorkerRedisUrlSecretArn": ""}, "WorkerRedisUrlSecretArn is required"),
        ({"WorkerSubnetIds": ""}, "WorkerSubnetIds needs at least one subnet"),
        ({"WorkerSubnetIds": "subnet-0123456789abcdef0,"}, "WorkerSubnetIds needs at least one"),
    ],
)
def test_a_worker_without_network_or_redis_is_refused(
    cfn: dict[str, Any], missing: dict[str, str], expected: str
) -> None:
    (refused,) = refusals(cfn, {**COMPLETE, **missing})
    assert refused.startswith(expected)


def test_only_fargate_cpu_memory_pairs_pass(cfn: dict[str, Any]) -> None:
    params = cfn["Parameters"]
    cpus = [str(v) for v in params["WorkerCpu"]["AllowedValues"]]
    memories = [str(v) for v in params["WorkerMemory"]["AllowedValues"]]
    assert set(cpus) == set(FARGATE)
    for cpu, memory in itertools.product(cpus, memories):
        refused = refusals(cfn, {**COMPLETE, "WorkerCpu": cpu, "WorkerMemory": memory})
        if memory in FARGATE[cpu]:
            assert refused == [], (cpu, memory)
        else:
            assert len(refused) == 1, (cpu, memory)
            assert refused[0].startswith(f"WorkerCpu {cpu} runs with"), (cpu, memory)
    # The defaults are a valid pair.
    assert str(params["WorkerMemory"]["Default"]) in FARGATE[str(params["WorkerCpu"]["Default"])]
