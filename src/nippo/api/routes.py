"""Where the API's routes live: the /api/v1 prefix, the answers every route may give, and how
the routes are put on the app.

FastAPI matches an included router lazily (0.165): the app's router asks each
included router whether a path is its own by scanning that router's routes,
then scans them again to pick the route, so every request paid two scans of
each router before its own plus bookkeeping in the scope (a profile of the
feedback route under wrk: ~17 % of the event loop's time in routing,
docs/performance.md). The API's routers are therefore declared with their
full prefix and shared responses, and `add_routes` puts their routes on the
app's own route list, as `@app.get` would: one scan, once. The OpenAPI
document is the same (tests/nippo/test_openapi_stable.py).
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from nippo.api.lean import LeanRoute
from nippo.api.problems import problem_responses

API_PREFIX = "/api/v1"

# What any /api/v1 route may answer besides its own: no or a bad token, bad input,
# too many failed tokens, the database unavailable.
API_RESPONSES = problem_responses(401, 422, 429, 503)


def api_router(path: str = "", *, tags: list[str]) -> APIRouter:
    """A router for routes under `/api/v1{path}` that answer the shared problems too."""
    return APIRouter(
        prefix=f"{API_PREFIX}{path}",
        tags=list(tags),
        responses=API_RESPONSES,
        route_class=LeanRoute,
    )


def add_routes(app: FastAPI, *routers: APIRouter) -> None:
    """Put each router's routes at the head of the app's own route list (matched in one
    scan, before the documentation's routes that FastAPI put there first)."""
    app.router.routes[0:0] = [route for router in routers for route in router.routes]


__all__ = ["API_PREFIX", "API_RESPONSES", "add_routes", "api_router"]
