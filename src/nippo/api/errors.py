"""dbtier's error tree as HTTP answers: each error becomes its status and its message.

Unauthenticated → 401 (with WWW-Authenticate: Bearer)
NotFound        → 404 (also for what exists but is not the caller's to see)
Forbidden       → 403
Conflict        → 409
other UsageError (bad Markdown, a bad duration, a date out of range) → 422
DatabaseUnreachable, a lost connection → 503
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from dbtier.errors import DatabaseUnreachable, DbtierError, UsageError
from dbtier.logs import get_logger
from nippo.errors import Conflict, Forbidden, NotFound, Unauthenticated

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


async def _dbtier_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DbtierError)
    status = status_of(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status >= 500:
        log.error("request failed", error=type(exc).__name__, detail=str(exc))
    return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)


async def _database_down(_request: Request, exc: Exception) -> JSONResponse:
    # The driver's text can name hosts; the log keeps the type, the client gets a plain answer.
    log.error("database unavailable", error=type(exc).__name__)
    return JSONResponse(
        {"detail": "the database is unavailable; try again shortly"}, status_code=503
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping on an app."""
    app.add_exception_handler(DbtierError, _dbtier_error)
    app.add_exception_handler(OperationalError, _database_down)


__all__ = ["install_error_handlers", "status_of"]
