"""Property: both backends answer the same create/get/list/cancel requests the same way.

Hypothesis generates a short session of requests (valid and invalid, with and without a
client token); each is sent to the API on EventBridge (moto) and to the API on the local
backend, and the two answers must have the same status, and for errors the same code and
message. Task ids are random per backend, so each backend's ids are replaced by the index of
the create that made them before comparing.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.contract.conftest import Backends

pytestmark = pytest.mark.timeout(300)
TASKS = "/api/v1/tasks"
_session_numbers = itertools.count()

WHEN: st.SearchStrategy[dict[str, Any]] = st.one_of(
    st.fixed_dictionaries({"delay_seconds": st.sampled_from([1, 2, 600, 10**9, -5])}),
    st.fixed_dictionaries(
        {
            "run_at": st.sampled_from(
                [
                    "2031-01-01T09:00:00+09:00",
                    "2020-01-01T00:00:00Z",
                    "2031-03-09T02:30:00",
                    "not a time",
                    "2031-11-02T01:30:00",
                ]
            ),
        },
        optional={"timezone": st.sampled_from(["Asia/Seoul", "America/New_York", "Mars/Base"])},
    ),
    st.fixed_dictionaries(
        {
            "schedule_expression": st.sampled_from(
                [
                    "rate(5 minutes)",
                    "rate(1 minutes)",
                    "rate(0 hours)",
                    "cron(0 9 ? * MON-FRI *)",
                    "cron(0 9 * * * *)",
                    "cron(61 9 ? * * *)",
                    "cron(0 9 L * ? *)",
                    "every day",
                ]
            ),
        },
        optional={"timezone": st.sampled_from(["UTC", "Asia/Seoul", "Nowhere/City"])},
    ),
    st.fixed_dictionaries({}),
    st.fixed_dictionaries({"delay_seconds": st.just(600), "run_at": st.just("2031-01-01T00:00Z")}),
)
EXTRAS = st.fixed_dictionaries(
    {},
    optional={
        "target_url": st.sampled_from(
            [
                "https://hooks.example.com/x",
                "https://evil.example.org/x",
                "http://127.0.0.1:9\\@hooks.example.com/x",
                "not a url",
            ]
        ),
        "method": st.sampled_from(["GET", "PUT", "TRACE"]),
        "headers": st.sampled_from(
            [{"X-Trace": "1"}, {"Authorization": "x"}, {"Bad Name": "v"}, {"X-A": "a\r\nb"}]
        ),
        "body": st.one_of(st.none(), st.integers(), st.text(max_size=5), st.just({"k": [1, 2]})),
        "client_token": st.sampled_from(["tok-1", "tok-2", "bad token", "x" * 65]),
        "timeout_seconds": st.sampled_from([1, 25, 26, 0]),
        "name_prefix": st.sampled_from(["a", "b.c", "bad/prefix", "x" * 32]),
    },
)
CREATE = st.tuples(st.just("create"), st.builds(lambda w, e: {**w, **e}, WHEN, EXTRAS))
GET = st.tuples(st.just("get"), st.one_of(st.integers(0, 5), st.sampled_from(["nope", "a" * 65])))
CANCEL = st.tuples(st.just("cancel"), st.one_of(st.integers(0, 5), st.just("unknown-task")))
LIST = st.tuples(
    st.just("list"),
    st.fixed_dictionaries(
        {}, optional={"limit": st.sampled_from([1, 100, 0, 101]), "next_token": st.just("zz")}
    ),
)
SESSION = st.lists(st.one_of(CREATE, GET, CANCEL, LIST), min_size=1, max_size=8)


class Side:
    """One backend's client and the ids it gave to this session's creates, in order."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self.ids: list[str] = []
        # ``at(...)`` of tasks made with ``delay_seconds``: each backend adds the delay to its
        # own clock, so two creates a moment apart may straddle a second
        self.relative: set[str] = set()

    def send(self, operation: str, argument: Any) -> tuple[int, Any]:
        if operation == "create":
            body = dict(argument)
            if isinstance(body.get("name_prefix"), str) and body["name_prefix"] in ("a", "b.c"):
                body["name_prefix"] = f"{self.prefix}{body['name_prefix']}"
            else:
                body.setdefault("name_prefix", self.prefix)
            if "client_token" in body and body["client_token"].startswith("tok"):
                body["client_token"] = f"{self.prefix}-{body['client_token']}"
            response = self.client.post(TASKS, json=body)
            if response.status_code == 201:
                self.ids.append(response.json()["task_id"])
            if response.status_code in (200, 201) and "delay_seconds" in body:
                self.relative.add(response.json()["schedule_expression"])
        elif operation in ("get", "cancel"):
            task_id = self._task_id(argument)
            method = self.client.get if operation == "get" else self.client.delete
            response = method(f"{TASKS}/{task_id}")
        else:
            response = self.client.get(TASKS, params={"prefix": self.prefix, **argument})
        return response.status_code, self._anonymous(response)

    def _task_id(self, argument: int | str) -> str:
        if isinstance(argument, int):
            return self.ids[argument] if argument < len(self.ids) else f"{self.prefix}-none"
        return argument

    def _anonymous(self, response: Any) -> Any:
        if response.status_code == 204:
            return None
        text = response.text
        for index, task_id in enumerate(self.ids):
            text = text.replace(task_id, f"<task {index}>")
        text = text.replace(self.prefix, "<prefix>")
        for expression in self.relative:
            text = text.replace(expression, "at(<now + delay>)")
        return text


def _view(status: int, text: Any) -> Any:
    """What must agree: error status/code/message; for a success, the task's shape."""
    import json

    if text is None:
        return None
    body = json.loads(text)
    if status >= 400:
        return {"code": body["code"], "message": body["message"]}
    tasks = body.get("data", [body])
    keys = ("kind", "schedule_expression", "timezone", "state", "target_url", "method")
    return sorted(json.dumps({key: task.get(key) for key in keys}) for task in tasks)


@settings(
    max_examples=200,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(session=SESSION)
def test_both_backends_answer_the_same(backends: Backends, session: list[Any]) -> None:
    prefix = f"s{next(_session_numbers)}x"
    eventbridge, local = Side(backends.eventbridge, prefix), Side(backends.local, prefix)
    for operation, argument in session:
        eb_status, eb_text = eventbridge.send(operation, argument)
        local_status, local_text = local.send(operation, argument)
        assert eb_status < 500, (operation, argument, eb_text)
        assert (operation, argument, eb_status, _view(eb_status, eb_text)) == (
            operation,
            argument,
            local_status,
            _view(local_status, local_text),
        )
