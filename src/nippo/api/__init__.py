"""nippo's HTTP layer: routers that translate requests into service calls."""

from __future__ import annotations

from fastapi import APIRouter

from nippo.api import health, learners, reports

API_PREFIX = "/api/v1"


def api_router() -> APIRouter:
    """Every /api/v1 route."""
    router = APIRouter(prefix=API_PREFIX)
    router.include_router(reports.router)
    router.include_router(learners.router)
    return router


__all__ = ["API_PREFIX", "api_router", "health"]
