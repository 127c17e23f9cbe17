"""What every route needs: the caller's token, and a session or connection of its own.

Per-request cost (docs/performance.md): FastAPI runs a sync dependency in a
worker thread, each a thread hop of its own besides the route's, and a
generator dependency costs an exit stack per request. So the caller
(`BearerCaller`: pure CPU, a SHA-256) comes from one async dependency on the
event loop, and a route opens its session
(`session_for`) or, where plain rows suffice, its Core connection
(`connection_for`) inside its own worker thread and gives it back there, before
the response is sent: one thread hop per request does the database work and
the return to the pool.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import HTTPConnection

from nippo.auth import Caller
from nippo.errors import Unauthenticated


class BearerCaller(HTTPBearer):
    """The caller from `Authorization: Bearer <token>`; the token is not looked up here.

    One dependency, not two: FastAPI solves each level of a dependency graph per
    request (a quarter of the event loop's time on a one-statement route,
    docs/performance.md), so the caller comes straight from the security scheme
    instead of from a function depending on `HTTPBearer`. The OpenAPI document
    names the same scheme (`HTTPBearer`).
    """

    async def __call__(self, request: HTTPConnection) -> Caller:  # type: ignore[override]
        credentials = await super().__call__(request)
        if credentials is None or not credentials.credentials:
            raise Unauthenticated(
                "no bearer token: send 'Authorization: Bearer <token>' with the token "
                "'dbtier users create' printed"
            )
        return Caller.from_token(credentials.credentials)


bearer = BearerCaller(
    auto_error=False,
    scheme_name="HTTPBearer",
    description="The token `dbtier users create` printed.",
)


@contextlib.contextmanager
def session_for(request: Request) -> Iterator[Session]:
    """A session for the request; what was not committed is rolled back when the block ends.

    When the connection died under the request, SQLAlchemy has invalidated it and the
    pool drops it; the failing rollback at close is not a second error to report.
    """
    sessions: sessionmaker[Session] = request.app.state.sessions
    session = sessions()
    try:
        yield session
    finally:
        with contextlib.suppress(SQLAlchemyError):
            session.close()


@contextlib.contextmanager
def connection_for(request: Request) -> Iterator[Connection]:
    """A Core connection for a read that loads no entity; given back when the block ends
    (rolled back, like a session's; a connection that died is not a second error)."""
    engine: Engine = request.app.state.engine
    connection = engine.connect()
    try:
        yield connection
    finally:
        with contextlib.suppress(SQLAlchemyError):
            connection.close()


def get_session(request: Request) -> Iterator[Session]:
    """A session for a page (`nippo.web`): closed when the request ends (`session_for`'s
    rules). The API's routes open theirs in their own thread instead (see the module)."""
    with session_for(request) as session:
        yield session


CallerDep = Annotated[Caller, Depends(bearer)]
SessionDep = Annotated[Session, Depends(get_session)]

__all__ = [
    "BearerCaller",
    "CallerDep",
    "SessionDep",
    "bearer",
    "connection_for",
    "get_session",
    "session_for",
]
