"""dbtier's error tree as HTTP answers: each error becomes its status and its message.

Unauthenticated → 401 (with WWW-Authenticate: Bearer)
NotFound        → 404 (also for what exists but is not the caller's to see)
Forbidden       → 403
Conflict        → 409
UnacceptedWarnings → 422, each warning an item of `errors` (loc ["body", "line", n])
other UsageError (bad Markdown, a bad duration, a date out of range) → 422
DatabaseUnreachable, a lost connection → 503
FastAPI's request validation → 422; Starlette's HTTP errors (404 route, 405, 413, 415) keep theirs

Every body is a `nippo.api.problems.Problem`. A 401 for a request that sent a
token counts as a failed token for the client's address (`nippo.api.throttle`).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from dbtier.errors import DatabaseUnreachable, DbtierError, UsageError
from dbtier.logs import get_logger
from nippo.api.problems import FieldProblem, field_problems, problem_response, summary
from nippo.api.throttle import record_failed_token
from nippo.errors import Conflict, Forbidden, NotFound, Unauthenticated
from nippo.schemas import WarningOut
from nippo.service.markdown_io import UnacceptedWarnings

log = get_logger("nippo.api")

_STATUS: list[tuple[type[DbtierError], int]] = [
    (Unauthenticated, 401),
    (NotFound, 404),
    (Forbidden, 403),
    (Conflict, 409),
    (UsageError, 422),
    (DatabaseUnreachable, 503),
]


def status_of(error: DbtierError) -> int:
    """The HTTP status of an error from the tree."""
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 500


async def _dbtier_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DbtierError)
    status = status_of(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 401 and "authorization" in request.headers:
        record_failed_token(request)
    if status >= 500:
        log.error("request failed", error=type(exc).__name__, detail=str(exc))
    return problem_response(status, str(exc), headers=headers)


async def _unaccepted_warnings(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UnacceptedWarnings)
    problems = [FieldProblem(**WarningOut.of(w).model_dump()) for w in exc.warnings]
    return problem_response(422, str(exc), errors=problems)


async def _invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = field_problems(exc.errors())
    return problem_response(422, summary(problems), errors=problems)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Starlette names only the first route matching the path; a path can have several.
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return problem_response(exc.status_code, str(exc.detail), headers=headers or None)


_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> list[str]:
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(r.matches({**request.scope, "method": method})[0] == Match.FULL for r in routes)
    ]


async def _database_down(_request: Request, exc: Exception) -> JSONResponse:
    # The driver's text can name hosts; the log keeps the type, the client gets a plain answer.
    log.error("database unavailable", error=type(exc).__name__)
    return problem_response(503, "the database is unavailable; try again shortly")


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping on an app."""
    app.add_exception_handler(DbtierError, _dbtier_error)
    app.add_exception_handler(UnacceptedWarnings, _unaccepted_warnings)
    app.add_exception_handler(OperationalError, _database_down)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)


__all__ = ["install_error_handlers", "status_of"]
