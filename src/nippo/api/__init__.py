"""nippo's HTTP layer: routers that translate requests into service calls."""

from __future__ import annotations

from fastapi import FastAPI

from nippo.api import health, learners, reports
from nippo.api.problems import problem_responses

API_PREFIX = "/api/v1"


def include_api(app: FastAPI) -> None:
    """Every /api/v1 route, on `app`.

    Each router is included in the app itself, not through an /api/v1 router in
    between: FastAPI matches a request once per level of inclusion, so one level
    less is less work per request (docs/performance.md).
    """
    for router in (reports.router, learners.router):
        app.include_router(
            router, prefix=API_PREFIX, responses=problem_responses(401, 422, 429, 503)
        )


__all__ = ["API_PREFIX", "health", "include_api"]
