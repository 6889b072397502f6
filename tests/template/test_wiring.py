"""Dead-letter wiring, the HTTP API, alarms, names, outputs and the worker's task definition,
as the translated template has them and as the code expects them."""

from __future__ import annotations

from typing import Any

from tests.template.cfn import (
    Resolver,
    as_list,
    dependency_graph,
    find_cycle,
    references,
    role_statements,
)

DLQ_ARN = {"Fn::GetAtt": ["DeliveryDeadLetterQueue", "Arn"]}
WORKER = {"WorkerImageUri": "repo/worker:1", "WorkerRedisUrlSecretArn": "arn:aws:redis"}


def test_lambda_failures_go_to_the_dead_letter_queue(cfn: dict[str, Any]) -> None:
    config = cfn["Resources"]["ApiCallFunctionEventInvokeConfig"]["Properties"]
    params = cfn["Parameters"]
    assert config["FunctionName"] == {"Ref": "ApiCallFunction"}
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == DLQ_ARN
    # The same numbers drive the schedules' RetryPolicy (through the API's settings).
    api_env = Resolver(cfn).environment("ApiFunction")
    assert config["MaximumRetryAttempts"] == int(params["RetryMaxAttempts"]["Default"])
    assert api_env["RETRY_MAX_ATTEMPTS"] == str(config["MaximumRetryAttempts"])
    assert config["MaximumEventAgeInSeconds"] == int(params["MaxEventAgeSeconds"]["Default"])
    assert api_env["MAX_EVENT_AGE_SECONDS"] == str(config["MaximumEventAgeInSeconds"])
    assert int(params["RetryMaxAttempts"]["MaxValue"]) == 2  # Lambda's async limit


QUEUES = ("DeliveryDeadLetterQueue", "SchedulerDeadLetterQueue")
SENDER_OF_QUEUE = {
    "DeliveryDeadLetterQueue": "ApiCallFunctionRole",
    "SchedulerDeadLetterQueue": "SchedulerRole",
}


def test_dead_letter_queues_are_encrypted_standard_and_keep_14_days(cfn: dict[str, Any]) -> None:
    for queue_id in QUEUES:
        queue = cfn["Resources"][queue_id]["Properties"]
        assert queue["SqsManagedSseEnabled"] is True
        assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
        assert not queue.get("FifoQueue")  # the scheduler rejects FIFO dead-letter queues


def test_each_queue_policy_admits_exactly_the_role_that_sends_to_it(cfn: dict[str, Any]) -> None:
    for queue_id, sender in SENDER_OF_QUEUE.items():
        arn = {"Fn::GetAtt": [queue_id, "Arn"]}
        policy = cfn["Resources"][f"{queue_id}Policy"]["Properties"]
        assert policy["Queues"] == [{"Ref": queue_id}]
        statements = as_list(policy["PolicyDocument"]["Statement"])
        (scoping,) = [s for s in statements if s["Action"] == "sqs:SendMessage"]
        assert scoping["Effect"] == "Deny"
        assert scoping["Resource"] == arn
        exempt = scoping["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]
        senders = [
            {"Fn::GetAtt": [role, "Arn"]}
            for role, s in role_statements(cfn)
            if s["Effect"] == "Allow"
            and "sqs:SendMessage" in as_list(s["Action"])
            and s["Resource"] == arn
        ]
        # Every role the template lets send is exempt from the deny, and no other principal is.
        assert sorted(map(str, exempt)) == sorted({str(s) for s in senders})
        assert {s["Fn::GetAtt"][0] for s in senders} == {sender}
        (tls,) = [s for s in statements if "aws:SecureTransport" in str(s.get("Condition"))]
        assert tls["Effect"] == "Deny"


def test_no_circular_dependency_and_the_api_does_not_depend_on_functions(
    cfn: dict[str, Any],
) -> None:
    graph = dependency_graph(cfn)
    assert find_cycle(graph) is None
    # The API's URL reaches both functions only because the API depends on neither.
    assert graph["HttpApi"] == set()
    assert {"HttpApi"} <= graph["ApiFunction"]
    assert {"HttpApi"} <= graph["ApiCallFunction"]


def test_cycle_finder_reports_the_cycle_the_events_design_would_have() -> None:
    # With HttpApi events, SAM writes the function's ARN into the API definition: the API
    # then depends on the function, and API_BASE_URL in the function closes the loop.
    graph = {"HttpApi": {"ApiFunction"}, "ApiFunction": {"HttpApi"}, "Other": set()}
    assert find_cycle(graph) == ["ApiFunction", "HttpApi", "ApiFunction"]


def test_http_api_routes_everything_to_the_api_function(cfn: dict[str, Any]) -> None:
    res = cfn["Resources"]
    integration = res["HttpApiIntegration"]["Properties"]
    assert integration["IntegrationUri"] == {"Fn::GetAtt": ["ApiFunction", "Arn"]}
    assert integration["PayloadFormatVersion"] == "2.0"  # Mangum's HttpApi v2 events
    routes = {r["Properties"]["RouteKey"] for r in res.values() if r["Type"].endswith("Route")}
    assert routes == {"ANY /", "ANY /{proxy+}"}
    assert res["HttpApiStage"]["Properties"]["StageName"] == "$default"
    permission = res["ApiFunctionInvokePermission"]["Properties"]
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert references(permission["SourceArn"]) >= {"HttpApi"}


def test_names_derive_from_the_stack_and_outputs_exist(cfn: dict[str, Any]) -> None:
    res = cfn["Resources"]
    resolver = Resolver(cfn)
    assert resolver.value(res["ApiCallFunction"]["Properties"]["FunctionName"]) == (
        "callback-scheduler-dev-api-call"
    )
    assert resolver.value(res["ScheduleGroup"]["Properties"]["Name"]) == (
        "callback-scheduler-dev-tasks"
    )
    assert {
        "ApiUrl",
        "ApiCallFunctionName",
        "ApiCallFunctionArn",
        "ScheduleGroupName",
        "SchedulerRoleArn",
        "DeadLetterQueueUrl",
    } <= set(cfn["Outputs"])


def test_worker_exists_only_with_an_image(cfn: dict[str, Any]) -> None:
    worker = {k for k, r in cfn["Resources"].items() if r.get("Condition") == "HasWorker"}
    assert {"WorkerCluster", "WorkerTaskDefinition", "WorkerService"} <= worker
    assert all(k.startswith("Worker") for k in worker)
    assert not Resolver(cfn).condition("HasWorker")
    assert Resolver(cfn, WORKER).condition("HasWorker")


def test_worker_task_definition(cfn: dict[str, Any]) -> None:
    res = cfn["Resources"]
    task = Resolver(cfn, WORKER).value(res["WorkerTaskDefinition"]["Properties"])
    (container,) = task["ContainerDefinitions"]
    assert task["RequiresCompatibilities"] == ["FARGATE"]
    assert container["HealthCheck"]["Command"] == ["CMD", "python", "-m", "worker", "healthcheck"]
    grace = cfn["Parameters"]["WorkerGracePeriodSeconds"]
    env = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert env["BATCH_GRACE_PERIOD_SECONDS"] == str(grace["Default"])
    # SIGKILL comes StopTimeout after SIGTERM: it must outlast the longest allowed grace.
    assert container["StopTimeout"] == 120 >= int(grace["MaxValue"]) + 10
    logs = container["LogConfiguration"]
    assert logs["LogDriver"] == "awslogs"
    assert logs["Options"]["awslogs-group"] == "<ref:WorkerLogGroup>"
    assert "RetentionInDays" in res["WorkerLogGroup"]["Properties"]
    service = res["WorkerService"]["Properties"]
    assert service["DesiredCount"] == {"Ref": "WorkerDesiredCount"}
    network = service["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["SecurityGroups"] == [{"Ref": "WorkerSecurityGroup"}]
    assert "SecurityGroupIngress" not in res["WorkerSecurityGroup"]["Properties"]
