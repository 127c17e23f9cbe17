"""The service under database faults: a fast, truthful 503, one log line, never a 500.

Three pieces, installed by `install(app, settings)`:

1. Exception handlers: a pool timeout (`sqlalchemy.exc.TimeoutError`), a lost or
   refused connection (`OperationalError`, `InterfaceError`, any DBAPI error
   whose connection was invalidated), a statement that outran the session's
   statement timeout, and `DatabaseUnreachable` all answer 503 with
   `Retry-After` and the problem body `{"detail": ..., "errors": []}`, and log
   ONE structured line (the error's type and the driver's first line, no
   traceback). SQLAlchemy has already invalidated a connection that died, and
   the pool pings each connection before handing it out (`pool_pre_ping`), so
   the first request after the database returns gets a live one.
2. `DatabaseGuard`, an ASGI middleware around every route but `/healthz` and
   `/readyz`: at most `DBTIER_MAX_IN_FLIGHT` requests are in the app at once
   (the rest get 503 at once instead of queueing), and a request with no
   answer after `DBTIER_REQUEST_TIMEOUT` seconds gets 503. PostgreSQL's driver
   has no read timeout, and a frozen server's kernel still ACKs, so this
   deadline is what bounds a request there. The worker thread is left to
   finish on its own (a thread cannot be cancelled); it still counts against
   the in-flight limit until it does, so stuck work cannot pile up.
3. The 503 body and header live here once (`unavailable_response`).
4. SQLAlchemy's pool logs a failed reset-on-return (a rollback on a connection
   that died) with a traceback; `one_line_pool_errors` keeps the line and
   drops the traceback, since the request's own line already says what failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dbtier.config import Settings
from dbtier.db_timeouts import STATEMENT_TIMEOUT_CODES
from dbtier.errors import DatabaseUnreachable
from dbtier.logs import get_logger
from dbtier.migrate.timeouts import error_code
from nippo.api.refusal import for_client

log = get_logger("nippo.api")

# Paths the guard lets through: liveness touches nothing, readiness bounds itself.
UNGUARDED = frozenset({"/healthz", "/readyz"})

# Set in the request's scope once the guard has answered (and logged) for the app.
ANSWERED_KEY = "dbtier.answered_by_guard"

# What each kind of fault tells the client (the log line names the same kind).
DETAILS = {
    "pool_timeout": "the service is busy: no database connection was free in time; retry shortly",
    "statement_timeout": "the database took too long to answer; retry shortly",
    "unavailable": "the database is unavailable; retry shortly",
    "overloaded": "the service is busy: too many requests are waiting on the database; "
    "retry shortly",
    "deadline": "the database did not answer in time; retry shortly",
}


def unavailable_response(kind: str, retry_after: int) -> JSONResponse:
    """503 with Retry-After and the problem body for one kind of fault."""
    return JSONResponse(
        {"detail": DETAILS[kind], "errors": []},
        status_code=503,
        headers={"Retry-After": str(retry_after)},
    )


def fault_kind(exc: BaseException) -> str | None:
    """Which database fault `exc` is, or None when it is not one."""
    if isinstance(exc, PoolTimeout):
        return "pool_timeout"
    if isinstance(exc, DatabaseUnreachable):
        return "unavailable"
    if isinstance(exc, DBAPIError):
        if error_code(exc) in STATEMENT_TIMEOUT_CODES:
            return "statement_timeout"
        if isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated:
            return "unavailable"
    return None


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [""])[0][:200]


def _handler(retry_after: int) -> Any:
    async def on_fault(request: Request, exc: Exception) -> JSONResponse:
        kind = fault_kind(exc)
        if kind is None:  # a DBAPIError that is the request's own fault: not ours to map
            raise exc
        if request.scope.get(ANSWERED_KEY):  # the guard answered already, and logged it
            return unavailable_response(kind, retry_after)
        # The driver's text can name hosts: it goes to the log, not to the client.
        log.warning(
            "database fault",
            kind=kind,
            error=type(getattr(exc, "orig", None) or exc).__name__,
            reason=_first_line(exc),
            method=request.method,
            path=request.url.path,
            status=503,
        )
        return unavailable_response(kind, retry_after)

    return on_fault


class _Answer:
    """One guarded request: whether its answer has started, or the guard answered instead."""

    __slots__ = ("answered_by_guard", "send", "started")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False
        self.answered_by_guard = False

    async def __call__(self, message: Message) -> None:
        if self.answered_by_guard:
            return  # the client already has its 503; drop the late answer
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)


class DatabaseGuard:
    """Bounds the requests in the app at once and the time each may take (see the module).

    The request runs in the guard's own task; a timer answers 503 at the deadline if
    no answer has started, from a task of its own, while the request's worker thread
    finishes (a thread cannot be cancelled) and still counts against the in-flight
    limit. A timer instead of a task per request: the guard costs one timer handle on
    the common path (docs/performance.md).
    """

    def __init__(
        self, app: ASGIApp, *, max_in_flight: int, deadline: float, retry_after: int
    ) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.deadline = deadline
        self.retry_after = retry_after
        self.in_flight = 0
        self._refusals: set[asyncio.Task[None]] = set()  # deadline answers under way

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNGUARDED:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            await self._refuse(scope, send, "overloaded")
            return
        self.in_flight += 1
        answer = _Answer(send)
        timer = asyncio.get_running_loop().call_later(
            self.deadline, self._on_deadline, scope, answer
        )
        try:
            await self.app(scope, receive, answer)
        except Exception:
            if not answer.answered_by_guard:
                raise
            # a late failure of a request the guard already answered with 503: done
        finally:
            timer.cancel()
            self.in_flight -= 1

    def _on_deadline(self, scope: Scope, answer: _Answer) -> None:
        if answer.started:
            return
        answer.answered_by_guard = True
        scope[ANSWERED_KEY] = True
        task = asyncio.ensure_future(self._refuse(scope, answer.send, "deadline"))
        self._refusals.add(task)
        task.add_done_callback(self._refusals.discard)

    async def _refuse(self, scope: Scope, send: Send, kind: str) -> None:
        log.warning(
            "database fault",
            kind=kind,
            method=scope.get("method"),
            path=scope.get("path"),
            in_flight=self.in_flight,
            status=503,
        )
        response = for_client(scope, unavailable_response(kind, self.retry_after))
        with contextlib.suppress(OSError):
            await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


class _OneLine(logging.Filter):
    """A record with a traceback becomes one line naming the exception."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            record.msg = f"{record.getMessage()}: {type(exc).__name__}: {_first_line(exc)}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def one_line_pool_errors(engine: Engine) -> None:
    """Drop the traceback from the pool's own error records for `engine`."""
    logger = getattr(engine.pool.logger, "logger", engine.pool.logger)
    if isinstance(logger, logging.Logger) and not any(
        isinstance(f, _OneLine) for f in logger.filters
    ):
        logger.addFilter(_OneLine())


def install(app: FastAPI, settings: Settings) -> None:
    """Register the fault handlers and the guard (outermost but for FastAPI's own)."""
    on_fault = _handler(settings.retry_after)
    # OperationalError and DatabaseUnreachable by name: they override the generic mapping.
    for kind in (PoolTimeout, DBAPIError, OperationalError, InterfaceError, DatabaseUnreachable):
        app.add_exception_handler(kind, on_fault)
    one_line_pool_errors(app.state.engine)
    app.add_middleware(
        DatabaseGuard,
        max_in_flight=settings.in_flight_limit,
        deadline=settings.request_timeout,
        retry_after=settings.retry_after,
    )


__all__ = ["DETAILS", "UNGUARDED", "DatabaseGuard", "fault_kind", "install", "unavailable_response"]
