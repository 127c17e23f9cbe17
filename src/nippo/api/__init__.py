"""nippo's HTTP layer: routers that translate requests into service calls."""

from __future__ import annotations

from fastapi import FastAPI

from nippo.api import health, learners, reports
from nippo.api.routes import API_PREFIX, add_routes


def include_api(app: FastAPI) -> None:
    """/healthz, /readyz and every /api/v1 route, on the app's own route list
    (`nippo.api.routes`: one scan per request, not two per included router)."""
    add_routes(app, reports.router, learners.router, health.router)


__all__ = ["API_PREFIX", "health", "include_api"]
