"""Alarms that notify for every incident, and the HTTP API's access log.

A depth alarm (ApproximateNumberOfMessagesVisible > 0) stays in ALARM while any old message
waits, so a second incident never notifies: the queues alarm on messages *sent* in a period.
Failures that used to vanish (Lambda could not write the dead letter, Lambda dropped an async
event) and the API's 5xx answers alarm too.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.template.cfn import Resolver, references, resources_of_type

EXPECTED = {
    ("AWS/SQS", "NumberOfMessagesSent", "DeliveryDeadLetterQueue"),
    ("AWS/SQS", "NumberOfMessagesSent", "SchedulerDeadLetterQueue"),
    ("AWS/Lambda", "Errors", "ApiCallFunction"),
    ("AWS/Lambda", "DestinationDeliveryFailures", "ApiCallFunction"),
    ("AWS/Lambda", "AsyncEventsDropped", "ApiCallFunction"),
    ("AWS/Lambda", "Errors", "DeadLetterRecorderFunction"),
    ("AWS/ApiGateway", "5xx", "HttpApi"),
    ("AWS/Scheduler", "InvocationDroppedCount", "ScheduleGroup"),
    ("AWS/Scheduler", "InvocationsSentToDeadLetterCount", "ScheduleGroup"),
    ("AWS/Scheduler", "InvocationsFailedToBeSentToDeadLetterCount", "ScheduleGroup"),
    ("CallbackScheduler", "LedgerWriteFailures", "LedgerTable"),
}
DIMENSION_OF_NAMESPACE = {
    "AWS/SQS": ("QueueName", "QueueName"),
    "AWS/Lambda": ("FunctionName", None),
    "AWS/Scheduler": ("ScheduleGroup", None),
}


def alarms(cfn: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(namespace, metric, watched resource) -> the alarm's properties."""
    found = {}
    for alarm in resources_of_type(cfn, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        (resource,) = references(props["Dimensions"])
        found[(props["Namespace"], props["MetricName"], resource)] = props
    return found


def test_the_alarms_and_what_they_watch(cfn: dict[str, Any]) -> None:
    assert set(alarms(cfn)) == EXPECTED


def test_every_alarm_fires_on_one_event_per_period_and_notifies(cfn: dict[str, Any]) -> None:
    for key, props in alarms(cfn).items():
        assert props["Statistic"] == "Sum", key  # a count of events, never a level
        assert props["Threshold"] == 0, key
        assert props["ComparisonOperator"] == "GreaterThanThreshold", key
        assert props["EvaluationPeriods"] == 1, key
        assert props["Period"] == 300, key
        assert props["TreatMissingData"] == "notBreaching", key
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}], key


def test_no_alarm_watches_a_queue_depth(cfn: dict[str, Any]) -> None:
    metrics = {props["MetricName"] for props in alarms(cfn).values()}
    assert not {m for m in metrics if m.startswith("ApproximateNumberOf")}


def test_dimensions_name_this_stacks_resources(cfn: dict[str, Any]) -> None:
    for (namespace, _, resource), props in alarms(cfn).items():
        dimensions = {d["Name"]: d["Value"] for d in props["Dimensions"]}
        if namespace == "AWS/ApiGateway":
            assert dimensions == {"ApiId": {"Ref": "HttpApi"}, "Stage": "$default"}
            assert cfn["Resources"]["HttpApiStage"]["Properties"]["StageName"] == "$default"
            continue
        if namespace == "CallbackScheduler":  # the metric our code emits (EMF, Powertools)
            # Powertools adds the "service" dimension from POWERTOOLS_SERVICE_NAME: every
            # function that writes the ledger must report under the service the alarm names.
            for function in ("ApiFunction", "ApiCallFunction", "DeadLetterRecorderFunction"):
                env = Resolver(cfn).environment(function)
                assert env["POWERTOOLS_SERVICE_NAME"] == dimensions["service"], function
                assert env["LEDGER_TABLE_NAME"] == "<ref:LedgerTable>", function
            assert dimensions["LedgerTable"] == {"Ref": "LedgerTable"}
            assert set(dimensions) == {"LedgerTable", "service"}
            continue
        name, attr = DIMENSION_OF_NAMESPACE[namespace]
        expected = {"Fn::GetAtt": [resource, attr]} if attr else {"Ref": resource}
        assert dimensions == {name: expected}


def test_http_api_stage_writes_json_access_logs_to_a_retained_group(cfn: dict[str, Any]) -> None:
    resources = cfn["Resources"]
    settings = resources["HttpApiStage"]["Properties"]["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["HttpApiAccessLogGroup", "Arn"]}
    # $context variables are replaced by API Gateway; the rest must be one JSON object.
    line = re.sub(r"\$context\.[A-Za-z.]+", "x", settings["Format"])
    fields = json.loads(line)
    assert {"requestId", "status", "routeKey", "integrationError", "sourceIp"} <= set(fields)
    # Nothing that can carry a token or a signature: no headers, no query string, no body.
    variables = set(re.findall(r"\$context\.([A-Za-z.]+)", settings["Format"]))
    assert not {v for v in variables if re.search("header|authori|querystring|body", v, re.I)}
    group = resources["HttpApiAccessLogGroup"]
    assert group["DeletionPolicy"] == group["UpdateReplacePolicy"] == "Retain"
    retention = Resolver(cfn).value(group["Properties"]["RetentionInDays"])
    assert retention == str(cfn["Parameters"]["LogRetentionDays"]["Default"])
