"""Realistic stand-ins for the values CloudFormation fills in at deploy time.

``Resolver`` turns a resource reference into ``<ref:Id>`` / ``<getatt:Id.Attr>``; for code
that parses its settings (ARNs, URLs) the tests replace those with values of the right shape,
derived from the resource's type, exactly as CloudFormation would return them.
"""

from __future__ import annotations

import re
from typing import Any

from tests.template.cfn import PSEUDO

ACCOUNT = PSEUDO["AWS::AccountId"]
REGION = PSEUDO["AWS::Region"]
PLACEHOLDER = re.compile(r"<(ref|getatt):([A-Za-z0-9]+)(?:\.([A-Za-z]+))?>")


def sample_value(cfn: dict[str, Any], kind: str, logical_id: str, attr: str | None) -> str:
    """The value ``Ref``/``GetAtt`` of ``logical_id`` would have after a deploy."""
    rtype = cfn["Resources"][logical_id]["Type"]
    name = f"callback-scheduler-dev-{logical_id}"
    samples: dict[tuple[str, str, str | None], str] = {
        ("AWS::IAM::Role", "getatt", "Arn"): f"arn:aws:iam::{ACCOUNT}:role/{name}",
        ("AWS::Lambda::Function", "getatt", "Arn"): (
            f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
        ),
        ("AWS::Lambda::Function", "ref", None): name,
        ("AWS::SQS::Queue", "getatt", "Arn"): f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}",
        ("AWS::SQS::Queue", "ref", None): f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}",
        ("AWS::SecretsManager::Secret", "ref", None): (
            f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-AbCdEf"
        ),
        ("AWS::Scheduler::ScheduleGroup", "ref", None): name,
        ("AWS::DynamoDB::Table", "ref", None): f"{name}-1A2B3C4D5E6F",
        ("AWS::ApiGatewayV2::Api", "getatt", "ApiEndpoint"): (
            f"https://a1b2c3d4e5.execute-api.{REGION}.amazonaws.com"
        ),
    }
    key = (rtype, kind, attr)
    if key not in samples:
        raise KeyError(f"no sample for {kind} {logical_id} ({rtype}) {attr or ''}")
    return samples[key]


def with_samples(cfn: dict[str, Any], env: dict[str, str]) -> dict[str, str]:
    """``env`` with every resource placeholder replaced by a deploy-shaped value."""

    def one(match: re.Match[str]) -> str:
        return sample_value(cfn, match.group(1), match.group(2), match.group(3))

    return {name: PLACEHOLDER.sub(one, value) for name, value in env.items()}
