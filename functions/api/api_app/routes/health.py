"""Open liveness route."""

from __future__ import annotations

from fastapi import APIRouter

from api_app.deps import SettingsDep
from api_app.models import HealthPublic
from api_app.routing import DeclaredRoute

router = APIRouter(tags=["health"], route_class=DeclaredRoute)


@router.get("/health")
async def health(settings: SettingsDep) -> HealthPublic:
    """Answer ok when the process serves requests (no authentication)."""
    return HealthPublic(stage=settings.stage, backend=settings.scheduler_backend)
