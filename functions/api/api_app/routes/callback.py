"""The quick start's callback route: verifies the Standard Webhooks signature, then acts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api_app.deps import SettingsDep
from api_app.errors import ERROR_RESPONSES
from api_app.models import TaskCallback, TaskCallbackAck
from api_app.replays import ReplayGuard
from api_app.routing import DeclaredRoute
from api_app.secrets import signing_secrets
from shared.delivery.signing import verify_signature
from shared.exceptions import InvalidRequestError
from shared.log import get_logger

router = APIRouter(prefix="/tasks", tags=["tasks"], route_class=DeclaredRoute)
logger = get_logger()


@router.post("/callback", responses=ERROR_RESPONSES)
async def handle_task_callback(request: Request, settings: SettingsDep) -> TaskCallbackAck:
    """Receive a scheduled call; 401 unless signed by a configured secret within 5 minutes.

    A replay (a ``webhook-id`` already processed within the tolerance window) is
    acknowledged with ``duplicate: true`` and not processed again.
    """
    payload = await request.body()
    if settings.signing_secrets_arn:  # Secrets Manager (boto3, cached): off the event loop
        secrets = await run_in_threadpool(signing_secrets, settings)
    else:
        secrets = signing_secrets(settings)
    verify_signature(payload, request.headers, secrets)
    try:
        callback = TaskCallback.model_validate_json(payload or b"{}")
    except ValidationError as exc:
        raise InvalidRequestError(
            f"callback body is not a task callback: {exc.errors()[0]['msg']}"
        ) from exc
    webhook_id = request.headers.get("webhook-id", "")
    replays: ReplayGuard = request.app.state.callback_replays
    if not replays.first_time(webhook_id):
        logger.info("task callback replay ignored", extra={"webhook_id": webhook_id})
        return TaskCallbackAck(
            webhook_id=webhook_id, duplicate=True, message="Duplicate delivery ignored"
        )
    logger.info(
        "task callback received",
        extra={"webhook_id": webhook_id, "data_keys": sorted(callback.data)},
    )
    return TaskCallbackAck(webhook_id=webhook_id)
