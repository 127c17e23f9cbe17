"""nippo's HTTP layer: routers that translate requests into service calls."""

from __future__ import annotations

from fastapi import APIRouter

from nippo.api import health, learners, reports
from nippo.api.problems import problem_responses

API_PREFIX = "/api/v1"


def api_router() -> APIRouter:
    """Every /api/v1 route."""
    router = APIRouter(prefix=API_PREFIX, responses=problem_responses(401, 422, 429, 503))
    router.include_router(reports.router)
    router.include_router(learners.router)
    return router


__all__ = ["API_PREFIX", "api_router", "health"]
