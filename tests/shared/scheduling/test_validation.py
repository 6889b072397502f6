"""Time zones, run times, task ids and the Target.Input built for a schedule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.delivery.event import SCHEDULED_TIME_PLACEHOLDER, ApiCallRequest
from shared.exceptions import InvalidRequestError, PayloadTooLargeError, ScheduleValidationError
from shared.scheduling.validation import (
    MAX_INPUT_BYTES,
    MAX_NAME_PREFIX_LENGTH,
    at_expression,
    build_target_input,
    new_task_id,
    validate_name_prefix,
    validate_page_request,
    validate_run_at,
    validate_task_id,
    validate_timezone,
)

NOW = datetime(2026, 11, 23, 9, 0, 0, tzinfo=UTC)
CALL = ApiCallRequest(target_url="https://api.example.com/hook", body={"order": 42})


@pytest.mark.parametrize("name", ["UTC", "Asia/Seoul", "America/New_York", "Etc/GMT+9"])
def test_known_time_zones(name: str) -> None:
    assert validate_timezone(name).key == name


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "KST", "../etc/passwd", "Asia", "x" * 51])
def test_unknown_time_zone_is_named(name: str) -> None:
    with pytest.raises(ScheduleValidationError) as info:
        validate_timezone(name)
    assert repr(name) in info.value.message


def test_run_at_keeps_seconds() -> None:
    run_at = datetime(2026, 11, 23, 9, 30, 17, tzinfo=UTC)
    assert validate_run_at(run_at, now=NOW) == run_at


def test_run_at_rounds_fractional_second_up() -> None:
    run_at = datetime(2026, 11, 23, 9, 30, 17, 1, tzinfo=UTC)
    assert validate_run_at(run_at, now=NOW) == datetime(2026, 11, 23, 9, 30, 18, tzinfo=UTC)


def test_run_at_keeps_its_zone() -> None:
    seoul = timezone(timedelta(hours=9))
    run_at = datetime(2026, 11, 23, 18, 30, tzinfo=seoul)
    result = validate_run_at(run_at, now=NOW)
    assert result.utcoffset() == timedelta(hours=9)
    assert result == run_at


@pytest.mark.parametrize(
    ("run_at", "fragment"),
    [
        (datetime(2026, 11, 23, 10, 0), "timezone-aware"),
        (NOW - timedelta(minutes=1), "in the past"),
        (NOW, "in the past"),
        (NOW + timedelta(milliseconds=500), "in the past"),
        (NOW + timedelta(days=5 * 365, seconds=1), "days ahead"),
    ],
)
def test_bad_run_at(run_at: datetime, fragment: str) -> None:
    with pytest.raises(ScheduleValidationError) as info:
        validate_run_at(run_at, now=NOW)
    assert fragment in info.value.message


def test_run_at_one_second_ahead_is_accepted() -> None:
    assert validate_run_at(NOW + timedelta(seconds=1), now=NOW) == NOW + timedelta(seconds=1)


def test_at_expression_in_seoul_has_no_dst() -> None:
    zone = validate_timezone("Asia/Seoul")
    run_at = datetime(2026, 7, 1, 0, 5, 9, tzinfo=UTC)
    assert at_expression(run_at, zone) == ("at(2026-07-01T09:05:09)", "Asia/Seoul")


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        # EST (UTC-5) in winter, EDT (UTC-4) in summer.
        (datetime(2026, 1, 15, 14, 0, 1, tzinfo=UTC), "at(2026-01-15T09:00:01)"),
        (datetime(2026, 7, 15, 13, 0, 1, tzinfo=UTC), "at(2026-07-15T09:00:01)"),
        # Just after the spring-forward jump on 2026-03-08 (02:00 EST -> 03:00 EDT).
        (datetime(2026, 3, 8, 7, 0, 0, tzinfo=UTC), "at(2026-03-08T03:00:00)"),
    ],
)
def test_at_expression_in_new_york_follows_dst(utc: datetime, expected: str) -> None:
    assert at_expression(utc, validate_timezone("America/New_York")) == (
        expected,
        "America/New_York",
    )


def test_at_expression_falls_back_to_utc_in_the_repeated_hour() -> None:
    # 2026-11-01 01:30 happens twice in New York; the second one is 06:30 UTC.
    run_at = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert at_expression(run_at, validate_timezone("America/New_York")) == (
        "at(2026-11-01T06:30:00)",
        "UTC",
    )


def test_new_task_id_shape() -> None:
    task_id = new_task_id("reminder")
    prefix, _, suffix = task_id.rpartition("-")
    assert prefix == "reminder"
    assert len(suffix) == 32
    assert int(suffix, 16) >= 0
    assert new_task_id("reminder") != task_id
    assert validate_task_id(task_id) == task_id


def test_longest_prefix_gives_a_64_character_id() -> None:
    task_id = new_task_id("p" * MAX_NAME_PREFIX_LENGTH)
    assert len(task_id) == 64
    validate_task_id(task_id)


def test_client_token_gives_a_stable_id() -> None:
    assert new_task_id("t", "tok-1") == new_task_id("t", "tok-1")
    assert new_task_id("t", "tok-1") != new_task_id("t", "tok-2")


def test_prefix_too_long_has_its_own_message() -> None:
    with pytest.raises(InvalidRequestError) as info:
        new_task_id("p" * (MAX_NAME_PREFIX_LENGTH + 1))
    assert f"at most {MAX_NAME_PREFIX_LENGTH}" in info.value.message
    assert not isinstance(info.value, ScheduleValidationError)


@pytest.mark.parametrize("prefix", ["", "has space", "slash/", "ünïcode", "a:b"])
def test_bad_prefix(prefix: str) -> None:
    with pytest.raises(InvalidRequestError):
        validate_name_prefix(prefix)


@pytest.mark.parametrize("token", ["", "has.dot", "x" * 65])
def test_bad_client_token(token: str) -> None:
    with pytest.raises(InvalidRequestError, match="client_token"):
        new_task_id("t", token)


@pytest.mark.parametrize("task_id", ["", "x" * 65, "a b", "a/b", "../x"])
def test_bad_task_id(task_id: str) -> None:
    with pytest.raises(InvalidRequestError, match="task id"):
        validate_task_id(task_id)


def test_one_time_input() -> None:
    call = ApiCallRequest(
        target_url="https://api.example.com/hook",
        method="PUT",
        headers={"X-Trace": "1"},
        body={"msg": "안녕"},
        scheduled_time="stale",
    )
    event = json.loads(
        build_target_input(
            call, task_id="t-1", recurring=False, nonce="n-1", request_fingerprint="f" * 64
        )
    )
    assert event == {
        "target_url": "https://api.example.com/hook",
        "method": "PUT",
        "headers": {"X-Trace": "1"},
        "body": {"msg": "안녕"},
        "task_id": "t-1",
        "nonce": "n-1",
        "request_fingerprint": "f" * 64,
    }


def test_every_input_gets_its_own_random_nonce() -> None:
    nonces = {
        json.loads(build_target_input(CALL, task_id="t", recurring=False))["nonce"]
        for _ in range(50)
    }
    assert len(nonces) == 50
    assert all(len(nonce) == 32 for nonce in nonces)


def test_recurring_input_carries_the_placeholder() -> None:
    text = build_target_input(CALL, task_id="t-2", recurring=True)
    event = json.loads(text)
    assert event["scheduled_time"] == SCHEDULED_TIME_PLACEHOLDER
    assert event["task_id"] == "t-2"
    assert ApiCallRequest.from_event(event).body == {"order": 42}


def test_input_at_the_limit_is_accepted_and_one_byte_more_is_refused() -> None:
    empty = len(
        build_target_input(
            ApiCallRequest(CALL.target_url, body=""), task_id="t", recurring=False, nonce="n"
        )
    )
    fits = ApiCallRequest(CALL.target_url, body="a" * (MAX_INPUT_BYTES - empty))
    text = build_target_input(fits, task_id="t", recurring=False, nonce="n")
    assert len(text.encode()) == MAX_INPUT_BYTES
    too_big = ApiCallRequest(CALL.target_url, body="a" * (MAX_INPUT_BYTES - empty + 1))
    with pytest.raises(PayloadTooLargeError) as info:
        build_target_input(too_big, task_id="t", recurring=False, nonce="n")
    assert info.value.details["size"] == MAX_INPUT_BYTES + 1


def test_size_counts_utf8_bytes() -> None:
    body = "가" * (MAX_INPUT_BYTES // 3)  # 3 bytes each in UTF-8: fits as chars, not as bytes
    with pytest.raises(PayloadTooLargeError):
        build_target_input(ApiCallRequest(CALL.target_url, body=body), task_id="t", recurring=False)


@pytest.mark.parametrize("body", [{"x": float("nan")}, {"when": NOW}, {1, 2}])
def test_body_must_be_json(body: object) -> None:
    with pytest.raises(InvalidRequestError, match=r"JSON|not finite"):
        build_target_input(ApiCallRequest(CALL.target_url, body=body), task_id="t", recurring=False)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"text": "\ud800"}, "lone surrogate"),
        ({"\udfff": 1}, "lone surrogate"),
        (["\ud83d"], "lone surrogate"),
        ({"a": [[[[{"b": 1}]]]]}, None),
    ],
)
def test_body_that_cannot_be_utf8_json_is_refused(body: object, fragment: str | None) -> None:
    call = ApiCallRequest(CALL.target_url, body=body)
    if fragment is None:
        assert json.loads(build_target_input(call, task_id="t", recurring=False))["body"] == body
        return
    with pytest.raises(InvalidRequestError, match=fragment):
        build_target_input(call, task_id="t", recurring=False)


def test_body_nested_deeper_than_64_levels_is_refused() -> None:
    deep: object = 1
    for _ in range(64):
        deep = [deep]
    build_target_input(ApiCallRequest(CALL.target_url, body=deep), task_id="t", recurring=False)
    with pytest.raises(InvalidRequestError, match="deeper than 64"):
        build_target_input(
            ApiCallRequest(CALL.target_url, body=[deep]), task_id="t", recurring=False
        )


def test_invalid_call_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="target_url"):
        build_target_input(ApiCallRequest("ftp://x"), task_id="t", recurring=False)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"page_size": 0}, "page_size must be 1-100, got 0"),
        ({"page_size": 101}, "page_size must be 1-100, got 101"),
        ({"page_size": True}, "integer"),
        ({"page_size": 10, "next_token": ""}, "next_token"),
        ({"page_size": 10, "next_token": "t" * 2049}, "next_token"),
        ({"page_size": 10, "name_prefix": "a/b"}, "name_prefix"),
        ({"page_size": 10, "name_prefix": "p" * 65}, "at most 64"),
    ],
)
def test_bad_page_request(kwargs: dict[str, object], fragment: str) -> None:
    arguments: dict[str, object] = {"name_prefix": None, "next_token": None, **kwargs}
    with pytest.raises(InvalidRequestError) as info:
        validate_page_request(**arguments)  # type: ignore[arg-type]
    assert fragment in info.value.message


def test_good_page_request() -> None:
    validate_page_request(name_prefix="p" * 64, page_size=100, next_token="t" * 2048)
    validate_page_request(name_prefix=None, page_size=1, next_token=None)
