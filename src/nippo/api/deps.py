"""What every route depends on: a database session per request, and the caller's token.

Per-request cost (docs/performance.md): FastAPI runs a sync dependency in a
worker thread, so each would be a thread hop of its own besides the route's.
`get_caller` is pure CPU (a SHA-256) and `get_session` opens no connection
(the session connects on its first statement), so both run on the event loop;
a route gives its session back inside its own worker thread (`released`), so
the request's one hop does the database work and the return to the pool.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from nippo.auth import Caller
from nippo.errors import Unauthenticated

bearer = HTTPBearer(
    auto_error=False,
    description="The token `dbtier users create` printed.",
)


def close_quietly(session: Session) -> None:
    """Close `session`: roll back what was not committed, give its connection back.

    When the connection died under the request, SQLAlchemy has invalidated it and the
    pool drops it; the failing rollback at close is not a second error to report.
    """
    with contextlib.suppress(SQLAlchemyError):
        session.close()


@contextlib.contextmanager
def released(session: Session) -> Iterator[Session]:
    """Close the session when the block ends, in the thread that ran it (see the module)."""
    try:
        yield session
    finally:
        close_quietly(session)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session for the request; anything not committed is rolled back when it ends.

    Opening one does no I/O. A route that did not give it back (`released`) has it
    closed here, in a worker thread when it still holds a connection (closing rolls
    back on the server, which may be slow or gone).
    """
    sessions: sessionmaker[Session] = request.app.state.sessions
    session = sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(close_quietly, session)
        else:
            close_quietly(session)


async def get_caller(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """The caller from `Authorization: Bearer <token>`; the token is not looked up here."""
    if credentials is None or not credentials.credentials:
        raise Unauthenticated(
            "no bearer token: send 'Authorization: Bearer <token>' with the token "
            "'dbtier users create' printed"
        )
    return Caller.from_token(credentials.credentials)


# scope="function": closed when the route returns, before the response is sent, so the
# connection is back in the pool and the request has left the in-flight count by the
# time the client can send its next request.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
CallerDep = Annotated[Caller, Depends(get_caller)]

__all__ = [
    "CallerDep",
    "SessionDep",
    "bearer",
    "close_quietly",
    "get_caller",
    "get_session",
    "released",
]
