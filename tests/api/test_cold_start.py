"""What importing the API's Lambda entry point builds, and what it leaves for first use.

Cold start (``bench/cold_start.py``): importing ``api_app.main`` builds the app, but neither
imports APScheduler (cron/rate translation: only when a task is created from a rate or a
preview is asked for) nor builds our pydantic models' own validators (``defer_build``: on
first use), nor builds any route's request handling a second time (``DeclaredRoute``:
FastAPI builds it for the app's inclusion of the route, on the first request), nor imports
the backend (``PendingBackend``: the EventBridge adapter, the ledger and the scheduling types
they use are built by the first request that needs the backend). The first preview then
works and loads APScheduler and its model; serving it and the OpenAPI document build no
declared route either, and load none of the backend's modules.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from api_app.backend import PendingBackend
from shared.ledger.scheduler import LedgeredScheduler
from shared.scheduling.eventbridge import EventBridgeScheduler
from tests.api.conftest import GROUP
from tests.api.ledger_fixtures import Stack, stack_fixture  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, os, sys
import api_app.main
from api_app import errors, history, models
from api_app.routes import schedule_preview

MODELS = (models.TaskCreate, models.TaskPublic, models.TasksPublic, models.TaskCallback,
          models.HealthPublic, errors.ErrorPublic, history.AttemptsPublic,
          schedule_preview.SchedulePreviewPublic)

from api_app.routing import DeclaredRoute
BACKEND = ("shared.ledger", "shared.scheduling.types", "shared.scheduling.eventbridge")
ROUTES = [route for route in api_app.main.app.router.routes for route in getattr(
    getattr(route, "original_router", None), "routes", [])]

def state():
    return {"apscheduler": any(m.split(".")[0] == "apscheduler" for m in sys.modules),
            "built": sorted(m.__name__ for m in MODELS if m.__pydantic_complete__),
            "routes": sorted({type(route).__name__ for route in ROUTES}),
            "routes_built": sorted(route.name for route in ROUTES if route.built),
            "backend_modules": sorted(m for m in sys.modules if m.startswith(BACKEND)),
            "backend": type(api_app.main.app.state.task_scheduler).__name__}

result = {"after_import": state()}
from fastapi.testclient import TestClient
client = TestClient(api_app.main.app)
answer = client.get(
    "/api/v1/schedule-preview",
    params={"expression": "rate(90 minutes)", "after": "2026-03-01T10:00:00Z", "count": 2},
    headers={"Authorization": "Bearer " + os.environ["API_TOKENS"]},
)
result["preview"] = [answer.status_code, answer.json()]
result["after_preview"] = state()
result["openapi_paths"] = len(client.get("/openapi.json").json()["paths"])
result["after_openapi"] = state()
print(json.dumps(result))
"""


def test_import_defers_apscheduler_and_model_builds_until_first_use() -> None:
    token = base64.b64encode(os.urandom(18)).decode()
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT / "functions" / "api")]),
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "STAGE": "dev",
        "SCHEDULER_BACKEND": "eventbridge",
        "API_BASE_URL": "https://api.example.com",
        "API_TOKENS": token,
        "SIGNING_SECRETS": "whsec_" + base64.b64encode(os.urandom(32)).decode(),
        "SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/scheduler",
        "API_CALL_FUNCTION_ARN": "arn:aws:lambda:us-east-1:123456789012:function:ApiCall",
        "DEAD_LETTER_QUEUE_ARN": "arn:aws:sqs:us-east-1:123456789012:dlq",
        "LEDGER_TABLE_NAME": "ledger",  # as deployed: the ledger is wired at init
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    declared: dict[str, object] = {"routes": ["DeclaredRoute"], "routes_built": []}
    declared |= {"backend_modules": [], "backend": "PendingBackend"}
    assert result["after_import"] == {"apscheduler": False, "built": []} | declared
    status, body = result["preview"]
    assert status == 200, body
    assert [tick["utc"] for tick in body["fire_times"]] == [
        "2026-03-01T11:30:00Z",
        "2026-03-01T13:00:00Z",
    ]
    preview_loaded = {"apscheduler": True, "built": ["SchedulePreviewPublic"]}
    assert result["after_preview"] == preview_loaded | declared
    assert result["openapi_paths"] == 9
    assert result["after_openapi"] == preview_loaded | declared


def test_model_modules_evaluate_annotations_when_their_classes_are_made() -> None:
    """Postponed annotations (``from __future__ import annotations``) would make pydantic
    compile and evaluate each field's annotation string when the class is made, at init."""
    import api_app.dead_letter_models
    import api_app.errors
    import api_app.history
    import api_app.models
    import api_app.routes.aws_dead_letters
    import api_app.routes.schedule_preview
    import shared.settings

    modules = [
        api_app.dead_letter_models,
        api_app.errors,
        api_app.history,
        api_app.models,
        api_app.routes.aws_dead_letters,
        api_app.routes.schedule_preview,
        shared.settings,
    ]
    assert [module.__name__ for module in modules if hasattr(module, "annotations")] == []
    assert not isinstance(api_app.models.TaskCreate.__annotations__["target_url"], str)


def test_the_backend_is_built_by_the_first_request_that_needs_it(stack: Stack) -> None:
    app: Any = stack.api.app
    pending = app.state.task_scheduler
    assert isinstance(pending, PendingBackend)
    assert stack.api.get("/health").status_code == 200
    assert not pending.built
    created = stack.create(target_url=stack.target.url("/ok"), delay_seconds=300)
    assert pending.built
    ledgered = pending.scheduler()
    assert isinstance(ledgered, LedgeredScheduler)
    assert ledgered is pending.scheduler()
    assert isinstance(ledgered.inner, EventBridgeScheduler)
    assert stack.scheduler.get_schedule(Name=created["task_id"], GroupName=GROUP)["State"] == (
        "ENABLED"
    )
    recorded = ledgered.ledger.get_task(created["task_id"])
    assert recorded is not None
    assert recorded.status == "scheduled"
    listed = stack.api.get("/api/v1/tasks", params={"status": "scheduled"})
    assert [task["task_id"] for task in listed.json()["data"]] == [created["task_id"]]
