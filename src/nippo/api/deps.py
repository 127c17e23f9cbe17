"""What every route depends on: a database session per request, and the caller's token."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from nippo.auth import Caller
from nippo.errors import Unauthenticated

bearer = HTTPBearer(
    auto_error=False,
    description="The token `dbtier users create` printed.",
)


def get_session(request: Request) -> Iterator[Session]:
    """A session for the request; anything not committed is rolled back when it ends.

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


def get_caller(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """The caller from `Authorization: Bearer <token>`; the token is not looked up here."""
    if credentials is None or not credentials.credentials:
        raise Unauthenticated(
            "no bearer token: send 'Authorization: Bearer <token>' with the token "
            "'dbtier users create' printed"
        )
    return Caller.from_token(credentials.credentials)


SessionDep = Annotated[Session, Depends(get_session)]
CallerDep = Annotated[Caller, Depends(get_caller)]

__all__ = ["CallerDep", "SessionDep", "bearer", "get_caller", "get_session"]
