"""The task ledger in the translated template: one retained, encrypted, recoverable table
with TTL, laid out as the code reads it, and least-privilege access per function."""

from __future__ import annotations

from typing import Any

from shared.ledger.codec import INDEX_BY_ID, INDEX_BY_STATUS
from shared.ledger.config import LedgerConfig
from shared.ledger.dead_letter_items import (
    DEAD_LETTER_ATTRIBUTES,
    INDEX_DEAD_LETTERS,
    DeadLetterItem,
)
from shared.ledger.dead_letter_store import TASK_STATUS_ATTRIBUTES, DeadLetterStore
from shared.ledger.recorder import DELIVERY_ATTRIBUTES
from tests.template.cfn import Resolver, as_list, resources_of_type, role_statements

TABLE_ARN = {"Fn::GetAtt": ["LedgerTable", "Arn"]}


def dynamodb_grants(cfn: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Role -> its Allow statements with a DynamoDB action."""
    found: dict[str, list[dict[str, Any]]] = {}
    for role, statement in role_statements(cfn):
        actions = as_list(statement["Action"])
        if any(action.startswith("dynamodb:") for action in actions):
            assert statement["Effect"] == "Allow"
            assert all(action.startswith("dynamodb:") for action in actions), role
            found.setdefault(role, []).append(statement)
    return found


def test_one_table_on_demand_encrypted_recoverable_with_ttl_and_retained(
    cfn: dict[str, Any],
) -> None:
    (table_id,) = resources_of_type(cfn, "AWS::DynamoDB::Table")
    assert table_id == "LedgerTable"
    table = cfn["Resources"][table_id]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    # the attribute the code writes as the expiry (epoch seconds), see shared.ledger.codec
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_keys_and_indexes_are_the_ones_the_code_queries(cfn: dict[str, Any]) -> None:
    props = cfn["Resources"]["LedgerTable"]["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    indexes = {
        index["IndexName"]: [key["AttributeName"] for key in index["KeySchema"]]
        for index in props["GlobalSecondaryIndexes"]
    }
    assert indexes == {
        INDEX_BY_ID: ["entity", "task_id"],
        INDEX_BY_STATUS: ["task_status", "task_id"],
        INDEX_DEAD_LETTERS: ["dl_entity", "dl_order"],
    }
    types = {d["AttributeName"]: d["AttributeType"] for d in props["AttributeDefinitions"]}
    names = ("pk", "sk", "entity", "task_status", "task_id", "dl_entity", "dl_order")
    assert types == dict.fromkeys(names, "S")


def test_only_these_roles_touch_the_ledger_each_with_what_it_needs(
    cfn: dict[str, Any],
) -> None:
    grants = dynamodb_grants(cfn)
    assert set(grants) == {
        "ApiFunctionRole",
        "ApiCallFunctionRole",
        "DeadLetterRecorderFunctionRole",
        "WorkerTaskRole",
    }
    (api,) = grants["ApiFunctionRole"]
    assert set(as_list(api["Action"])) == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:Query",
    }
    assert Resolver(cfn).value(api["Resource"]) == [
        "<getatt:LedgerTable.Arn>",
        "<getatt:LedgerTable.Arn>/index/*",
    ]
    assert "Condition" not in api


def test_api_call_may_only_write_attempt_and_outcome_attributes(cfn: dict[str, Any]) -> None:
    (delivery,) = dynamodb_grants(cfn)["ApiCallFunctionRole"]
    # no read, no delete, no scan: it writes an attempt and the task's outcome
    assert set(as_list(delivery["Action"])) == {"dynamodb:PutItem", "dynamodb:UpdateItem"}
    assert delivery["Resource"] == TABLE_ARN  # the table only, never an index
    condition = delivery["Condition"]
    allowed = condition["ForAllValues:StringEquals"]["dynamodb:Attributes"]
    assert sorted(allowed) == sorted(DELIVERY_ATTRIBUTES)
    assert len(allowed) == len(set(allowed))
    # what the task was created with is not writable by the delivery path
    assert not {"target_url", "request_fingerprint", "created_at", "method"} & set(allowed)
    assert condition["StringEqualsIfExists"] == {"dynamodb:ReturnValues": ["NONE", "UPDATED_NEW"]}


def test_both_functions_know_the_table_and_the_retention(cfn: dict[str, Any]) -> None:
    for function in ("ApiFunction", "ApiCallFunction"):
        env = Resolver(cfn).environment(function)
        assert env["LEDGER_TABLE_NAME"] == "<ref:LedgerTable>"
        assert env["LEDGER_RETENTION_DAYS"] == "30"
    assert cfn["Outputs"]["LedgerTableName"]["Value"] == {"Ref": "LedgerTable"}
    assert (
        Resolver(cfn, {"LedgerRetentionDays": "7"}).environment("ApiCallFunction")[
            "LEDGER_RETENTION_DAYS"
        ]
        == "7"
    )


def test_the_recorder_reads_the_table_and_writes_only_dead_letters_and_task_status(
    cfn: dict[str, Any],
) -> None:
    statements = {s["Sid"]: s for s in dynamodb_grants(cfn)["DeadLetterRecorderFunctionRole"]}
    assert set(statements) == {
        "ReadTasksOfDeadLetters",
        "PutDeadLettersInLedger",
        "MarkTasksFailedInLedger",
    }
    for statement in statements.values():
        assert statement["Resource"] == TABLE_ARN  # the table only, never an index
    read = statements["ReadTasksOfDeadLetters"]
    assert sorted(as_list(read["Action"])) == ["dynamodb:GetItem", "dynamodb:Query"]
    put = statements["PutDeadLettersInLedger"]
    assert as_list(put["Action"]) == ["dynamodb:PutItem"]
    allowed = put["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"]
    assert sorted(allowed) == sorted(DEAD_LETTER_ATTRIBUTES)
    assert len(allowed) == len(set(allowed))
    update = statements["MarkTasksFailedInLedger"]
    assert as_list(update["Action"]) == ["dynamodb:UpdateItem"]
    allowed = update["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"]
    assert sorted(allowed) == sorted(TASK_STATUS_ATTRIBUTES)
    for statement in (put, update):  # no old item comes back
        assert statement["Condition"]["StringEqualsIfExists"] == {"dynamodb:ReturnValues": ["NONE"]}
    # what the task was created with, attempts and outcomes are not writable here
    written = set(DEAD_LETTER_ATTRIBUTES) | set(TASK_STATUS_ATTRIBUTES)
    assert not {"target_url", "request_fingerprint", "method", "attempt_count"} & written


def test_the_attribute_lists_are_what_the_code_writes() -> None:
    letter = DeadLetterItem(
        dl_id="m-1", task_id="t-1", scheduled_time="2026-11-28T09:00:00Z", reason="expired",
        status=404, response_body="gone", error="e", attempts=[], call={"a": 1},
        dead_lettered_at="2026-11-28T09:30:00.000000Z", queue="delivery",
    )  # fmt: skip
    main, copy = letter.items(expires_at=1)
    assert copy is not None
    assert set(main) == set(copy) | {"dl_entity"} == set(DEAD_LETTER_ATTRIBUTES)
    store = DeadLetterStore(LedgerConfig("t"), client=object())
    update = store._status_update("t-1", "retrying", "failed", 1)
    names = set(update["Key"]) | {"task_status", "expires_at"}
    assert update["UpdateExpression"] == "SET task_status = :new, expires_at = :exp"
    assert names == set(TASK_STATUS_ATTRIBUTES)


def test_the_worker_reads_only_the_keys_of_the_dead_letter_index(cfn: dict[str, Any]) -> None:
    (query,) = dynamodb_grants(cfn)["WorkerTaskRole"]
    assert as_list(query["Action"]) == ["dynamodb:Query"]
    assert Resolver(cfn).value(query["Resource"]) == (
        f"<getatt:LedgerTable.Arn>/index/{INDEX_DEAD_LETTERS}"
    )
    assert query["Condition"] == {
        "ForAllValues:StringEquals": {"dynamodb:Attributes": ["dl_entity", "dl_order"]},
        "StringEquals": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"},
    }
