"""A task record survives the trip through a DynamoDB item unchanged (what the API writes is
what it reads back), for any values the record can hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from shared.ledger.codec import attempt_to_item, item_to_attempt, item_to_task, task_to_item
from shared.ledger.types import TASK_STATUSES, AttemptRecord, TaskRecord

zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=9)), timezone(timedelta(hours=-3, minutes=-30))]
)
moments = st.builds(
    lambda dt, zone: dt.replace(tzinfo=UTC).astimezone(zone),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    zones,
)
text = st.text(min_size=1, max_size=40)
maybe_moment = st.none() | moments
maybe_text = st.none() | text


@given(
    st.builds(
        TaskRecord,
        task_id=text,
        kind=st.sampled_from(["one_time", "recurring"]),
        schedule_expression=text,
        timezone=st.sampled_from(["UTC", "Asia/Seoul"]),
        status=st.sampled_from(TASK_STATUSES),
        method=st.sampled_from(["GET", "POST"]),
        target_url=text,
        created_at=moments,
        schedule_arn=text,
        run_at=maybe_moment,
        first_run_at=maybe_moment,
        cancelled_at=maybe_moment,
        request_fingerprint=maybe_text,
        webhook_id=maybe_text,
        attempt_count=st.integers(min_value=0, max_value=10**6),
        last_outcome=st.none(),
        last_http_status=st.none(),
        last_error=st.none(),
        last_attempt_at=st.none(),
        last_tick=st.none(),
    )
)
def test_task_records_round_trip(record: TaskRecord) -> None:
    assert item_to_task(task_to_item(record)) == record


@given(
    st.builds(
        AttemptRecord,
        task_id=text,
        tick=text,
        attempt_number=st.integers(min_value=0, max_value=999_999),
        started_at=moments,
        duration_ms=st.integers(min_value=0, max_value=900_000),
        outcome=st.sampled_from(["delivered", "retryable", "permanent"]),
        http_status=st.none() | st.integers(min_value=100, max_value=599),
        error_class=maybe_text,
        response_excerpt=st.text(max_size=100),
        webhook_id=maybe_text,
        request_id=maybe_text,
    )
)
def test_attempt_records_round_trip(attempt: AttemptRecord) -> None:
    assert item_to_attempt(attempt_to_item(attempt, expires_at=1)) == attempt
