"""Dead letters on AWS (issue 15 item 4): DeadLetterRecorderFunction alone consumes both
queues (recording each message in the ledger), the API lists from the ledger and redrives
through ApiCallFunction, and nothing else may read, delete or invoke."""

from __future__ import annotations

from typing import Any

from tests.template.cfn import Resolver, as_list, role_statements

QUEUES = ["<getatt:DeliveryDeadLetterQueue.Arn>", "<getatt:SchedulerDeadLetterQueue.Arn>"]


def grants(cfn: dict[str, Any], prefix: str) -> list[tuple[str, list[str], list[Any]]]:
    """(role, actions, resolved resources) of every Allow statement with a ``prefix`` action."""
    resolver = Resolver(cfn)
    found = []
    for role, statement in role_statements(cfn):
        actions = as_list(statement["Action"])
        if statement["Effect"] == "Allow" and any(a.startswith(prefix) for a in actions):
            resources = [resolver.value(r) for r in as_list(statement["Resource"])]
            found.append((role, sorted(actions), resources))
    return found


def test_only_the_recorder_receives_and_deletes_and_only_from_the_two_queues(
    cfn: dict[str, Any],
) -> None:
    consuming = [
        grant
        for grant in grants(cfn, "sqs:")
        if set(grant[1]) & {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:*"}
    ]
    # What an SQS event source mapping needs of its function's role (Lambda developer guide)
    actions = ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
    assert consuming == [("DeadLetterRecorderFunctionRole", actions, QUEUES)]


def test_the_api_has_no_queue_access_at_all(cfn: dict[str, Any]) -> None:
    assert [grant for grant in grants(cfn, "sqs:") if grant[0] == "ApiFunctionRole"] == []


def test_the_api_may_invoke_api_call_function_and_nothing_else(cfn: dict[str, Any]) -> None:
    invoking = {role: (actions, resources) for role, actions, resources in grants(cfn, "lambda:")}
    assert invoking["ApiFunctionRole"] == (
        ["lambda:InvokeFunction"],
        ["<getatt:ApiCallFunction.Arn>"],
    )


def test_the_dead_letter_index_is_on_the_table_the_api_reads(cfn: dict[str, Any]) -> None:
    [ledger] = [
        resources
        for role, actions, resources in grants(cfn, "dynamodb:")
        if role == "ApiFunctionRole"
    ]
    index_names = [
        index["IndexName"]
        for index in cfn["Resources"]["LedgerTable"]["Properties"]["GlobalSecondaryIndexes"]
    ]
    assert "dead-letters" in index_names
    assert len(ledger) == 2  # the table and its indexes
