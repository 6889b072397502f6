"""DeadLetterRecorderFunction in the translated template: one SQS event source mapping per
dead-letter queue with partial batch responses, queues whose visibility timeout outlasts a
batch, the shared layer and runtime, and nothing SAM would add on its own."""

from __future__ import annotations

from typing import Any

from tests.template.cfn import Resolver, resources_of_type

FUNCTION = "DeadLetterRecorderFunction"
QUEUE_OF_MAPPING = {
    "DeliveryDeadLetterRecording": "DeliveryDeadLetterQueue",
    "SchedulerDeadLetterRecording": "SchedulerDeadLetterQueue",
}


def mappings(cfn: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = resources_of_type(cfn, "AWS::Lambda::EventSourceMapping")
    return found


def test_each_dead_letter_queue_feeds_the_recorder_and_nothing_else(cfn: dict[str, Any]) -> None:
    found = mappings(cfn)
    assert set(found) == set(QUEUE_OF_MAPPING)
    for mapping_id, queue in QUEUE_OF_MAPPING.items():
        props = found[mapping_id]["Properties"]
        assert props["EventSourceArn"] == {"Fn::GetAtt": [queue, "Arn"]}
        assert props["FunctionName"] == {"Ref": FUNCTION}
        assert 1 <= props["BatchSize"] <= 10  # SQS's ReceiveMessage maximum, no window needed
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert 0 < props["MaximumBatchingWindowInSeconds"] <= 10  # seconds, not minutes
        assert props["ScalingConfig"]["MaximumConcurrency"] >= 2  # SQS ESM minimum
        assert "Enabled" not in props or props["Enabled"] is True


def test_visibility_timeout_is_six_times_the_function_timeout_plus_the_window(
    cfn: dict[str, Any],
) -> None:
    # AWS's guidance for SQS event sources: at least 6x the function timeout plus
    # MaximumBatchingWindowInSeconds, so a message is not received twice while its batch runs.
    timeout = cfn["Resources"][FUNCTION]["Properties"]["Timeout"]
    for mapping_id, queue in QUEUE_OF_MAPPING.items():
        window = mappings(cfn)[mapping_id]["Properties"]["MaximumBatchingWindowInSeconds"]
        visibility = cfn["Resources"][queue]["Properties"]["VisibilityTimeout"]
        assert visibility >= 6 * timeout + window, queue


def test_the_recorder_runs_python313_on_the_shared_layer_and_its_own_code(
    cfn: dict[str, Any],
) -> None:
    props = cfn["Resources"][FUNCTION]["Properties"]
    assert props["Runtime"] == "python3.13"
    assert props["Handler"] == "dead_letter_recorder.handler.lambda_handler"
    [layer] = props["Layers"]  # SAM names the layer version SharedLayer<hash>
    assert layer["Ref"].startswith("SharedLayer")
    assert props["Layers"] == cfn["Resources"]["ApiCallFunction"]["Properties"]["Layers"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    env = Resolver(cfn).environment(FUNCTION)
    assert env["DEAD_LETTER_QUEUE_ARN"] == "<getatt:SchedulerDeadLetterQueue.Arn>"
    assert env["DEAD_LETTER_QUEUE_URL"] == "<ref:DeliveryDeadLetterQueue>"
    assert env["LEDGER_TABLE_NAME"] == "<ref:LedgerTable>"
    assert env["LEDGER_RETENTION_DAYS"] == "30"
    assert env["POWERTOOLS_SERVICE_NAME"] == "callback-scheduler"  # LedgerWriteFailuresAlarm


def test_no_managed_sqs_policy_and_only_the_basics_attached(cfn: dict[str, Any]) -> None:
    # SAM's SQS event type attaches AWSLambdaSQSQueueExecutionRole (every queue of the
    # account): the mappings are plain resources, so the role has only its own statements.
    role = cfn["Resources"][f"{FUNCTION}Role"]["Properties"]
    attached = Resolver(cfn).value(role["ManagedPolicyArns"])
    assert not [arn for arn in attached if "SQS" in arn]
    assert set(attached) == {
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    }


def test_errors_alarm_and_retained_log_group(cfn: dict[str, Any]) -> None:
    [alarm] = [
        a["Properties"]
        for a in resources_of_type(cfn, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": FUNCTION}}]
    ]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", "Errors")
    group = cfn["Resources"][f"{FUNCTION}LogGroup"]
    assert group["DeletionPolicy"] == group["UpdateReplacePolicy"] == "Retain"
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    name = Resolver(cfn).value(group["Properties"]["LogGroupName"])
    assert name == "/aws/lambda/callback-scheduler-dev-dead-letter-recorder"
