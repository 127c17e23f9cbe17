"""The lean handler (`nippo.api.lean`) answers exactly as FastAPI's own handler would.

The same requests, good and bad, go to the app as it is (plain reads on the lean
handler) and to the same app with every route on FastAPI's handler; status,
body and the headers that matter must be the same.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi._body_limit import wrap_app_with_body_limit
from fastapi.routing import APIRoute, request_response
from fastapi.testclient import TestClient
from nippo_helpers import People, auth
from sqlalchemy.engine import Engine
from starlette.routing import BaseRoute

from dbtier.testing.unhurried import unhurried_settings
from nippo.api.lean import LeanPlan, LeanRoute
from nippo.app import create_app

REPORT = {"date": "2025-04-22", "title": "t", "tasks": [{"title": "LT", "minutes": 70}]}
# Every plain read; a route added later that takes the lean handler must be listed here.
LEAN = {
    ("GET", "/api/v1/reports/{report_id:int}"),
    ("DELETE", "/api/v1/reports/{report_id:int}"),
    ("GET", "/api/v1/reports/{report_id:int}/markdown"),
    ("GET", "/api/v1/reports/{report_id:int}/feedback"),
    ("GET", "/api/v1/learners/{learner_id:int}/reports"),
    ("GET", "/api/v1/learners/{learner_id:int}/study-time"),
    ("GET", "/api/v1/me"),
}


def _on_fastapi_handler(route: BaseRoute) -> BaseRoute:
    """A copy of a lean route served by FastAPI's own handler."""
    if not isinstance(route, LeanRoute) or not route.lean:
        return route
    plain = copy.copy(route)
    plain.app = wrap_app_with_body_limit(
        request_response(APIRoute.get_route_handler(plain)), plain.max_body_size
    )
    return plain


@pytest.fixture
def both(engine: Engine) -> Iterator[tuple[TestClient, TestClient]]:
    """The app as built, and the same app with FastAPI's handler on every route."""
    lean_app = create_app(unhurried_settings(), engine=engine)
    fastapi_app: FastAPI = create_app(unhurried_settings(), engine=engine)
    fastapi_app.router.routes[:] = [_on_fastapi_handler(r) for r in fastapi_app.router.routes]
    with TestClient(lean_app) as lean, TestClient(fastapi_app) as plain:
        yield lean, plain


def _answer(client: TestClient, method: str, url: str, token: str | None) -> dict[str, Any]:
    response = client.request(method, url, headers=auth(token) if token else {})
    headers = {k: v for k, v in response.headers.items() if k in {"content-type", "retry-after"}}
    body = response.json() if "json" in headers.get("content-type", "") else response.text
    return {"status": response.status_code, "headers": headers, "body": body}


def test_the_plain_reads_take_the_lean_handler_and_nothing_else() -> None:
    app = create_app(unhurried_settings())
    lean = {
        (method, route.path)
        for route in app.router.routes
        if isinstance(route, LeanRoute) and route.lean
        for method in route.methods or ()
    }
    assert lean == LEAN


def test_the_lean_handler_answers_as_fastapi_does(
    both: tuple[TestClient, TestClient], people: People
) -> None:
    lean, plain = both
    created = lean.post("/api/v1/reports", json=REPORT, headers=auth(people.learner))
    assert created.status_code == 201, created.text
    rid, lid = created.json()["id"], people.learner_id
    doomed = [
        lean.post(
            "/api/v1/reports", json=REPORT | {"date": day}, headers=auth(people.learner)
        ).json()["id"]
        for day in ("2025-04-23", "2025-04-24")
    ]
    far = (dt.date(2025, 4, 22) + dt.timedelta(days=400)).isoformat()
    cases: list[tuple[str, str, str | None]] = []
    for token in (people.learner, people.mentor, people.stranger, people.other_learner):
        cases += [
            ("GET", f"/api/v1/reports/{rid}", token),
            ("GET", f"/api/v1/reports/{rid}/markdown", token),
            ("GET", f"/api/v1/reports/{rid}/feedback", token),
            ("GET", f"/api/v1/learners/{lid}/study-time?date=2025-04-22", token),
            ("GET", f"/api/v1/learners/{lid}/reports?from=2025-04-01&to=2025-04-30", token),
            ("GET", "/api/v1/me", token),
        ]
    for token in (people.learner, None, "nippo_not-a-token"):
        cases += [
            ("GET", f"/api/v1/learners/{lid}/study-time", token),
            ("GET", f"/api/v1/learners/{lid}/study-time?date=", token),
            ("GET", f"/api/v1/learners/{lid}/study-time?date=2025-13-01", token),
            ("GET", f"/api/v1/learners/{lid}/study-time?date=x&date=2025-04-22", token),
            ("GET", f"/api/v1/learners/{lid}/study-time?other=1", token),
            ("GET", "/api/v1/learners/0/study-time?date=2025-04-22", token),
            ("GET", "/api/v1/learners/99999999999999999999/study-time", token),
            ("GET", f"/api/v1/learners/{lid}/reports", token),
            ("GET", f"/api/v1/learners/{lid}/reports?from=2025-04-30&to=2025-04-01", token),
            ("GET", f"/api/v1/learners/{lid}/reports?from=2025-04-22&to={far}", token),
            ("GET", f"/api/v1/learners/{lid}/reports?from=bad&to=worse", token),
            ("GET", "/api/v1/reports/424242", token),
            ("GET", "/api/v1/reports/424242/feedback", token),
            ("GET", "/api/v1/reports/0/markdown", token),
            ("GET", "/api/v1/me?x=1", token),
        ]
    for token in (people.mentor, None, people.learner):  # each app deletes a report of its own
        answers = [
            str(_answer(client, "DELETE", f"/api/v1/reports/{report}", token)).replace(
                f"report {report} ", "report ID "
            )
            for client, report in ((lean, doomed[0]), (plain, doomed[1]))
        ]
        assert answers[0] == answers[1], token
    for case in cases:
        assert _answer(lean, *case) == _answer(plain, *case), case


def test_a_route_it_cannot_prove_plain_keeps_fastapis_handler() -> None:
    app = create_app(unhurried_settings())
    plans = {
        (method, route.path): LeanPlan.of(route)
        for route in app.router.routes
        if isinstance(route, LeanRoute)
        for method in route.methods or ()
    }
    # a body, a header parameter or an answer to serialize: FastAPI's handler
    assert plans[("POST", "/api/v1/reports")] is None
    assert plans[("PATCH", "/api/v1/me")] is None
    assert plans[("POST", "/api/v1/reports/{report_id:int}/feedback")] is None
    assert plans[("GET", "/api/v1/learners/{learner_id:int}/study-time")] is not None
