"""Bearer tokens and who may see what.

A token is 32 random bytes (256 bits) from `secrets`; the database keeps only
its SHA-256. A salted slow hash (bcrypt, argon2) defends guessable passwords;
a 256-bit random token cannot be guessed, and an unsalted digest lets the
lookup be one indexed equality (`users.token_hash`) instead of a scan.

Visibility is a SQL expression (`caller_sees_learner`), so reads check and
fetch in the same statement: a learner sees their own reports, a mentor the
reports of their learners, nobody else anything. The hot reads build their
statements once, at import, with the caller's token hash as the bound
parameter `CALLER_TOKEN` (`sees_learner`); SQLAlchemy then compiles each once
and a request only binds values (docs/performance.md).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    SQLColumnExpression,
    String,
    and_,
    bindparam,
    exists,
    literal,
    or_,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from nippo.errors import NotFound, Unauthenticated
from nippo.models import Mentorship, User

TOKEN_PREFIX = "nippo_"  # noqa: S105 (a marker that makes leaked tokens greppable)
# What a read that loads no entity runs on: an ORM session, or a Core connection.
Reader = Session | Connection
# The caller's token hash in statements built once (bind it with `Caller.params()`).
CALLER_TOKEN: BindParameter[str] = bindparam("caller_token_hash", type_=String(64))


def new_token() -> str:
    """A fresh bearer token; shown once, never stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest stored in `users.token_hash`."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Caller:
    """Who is calling, as far as the request tells: the hash of their token."""

    token_hash: str

    @classmethod
    def from_token(cls, token: str) -> Caller:
        """A caller from the raw bearer token."""
        return cls(hash_token(token))

    def params(self) -> dict[str, Any]:
        """The bound value of `CALLER_TOKEN`."""
        return {CALLER_TOKEN.key: self.token_hash}


_BY_TOKEN = select(User).where(User.token_hash == CALLER_TOKEN)
_KNOWN = select(exists().where(User.token_hash == CALLER_TOKEN))
# Core table aliases: the visibility check is part of Core and ORM statements alike.
_VIEWER = User.__table__.alias("viewer")
_MENTORSHIPS = Mentorship.__table__.c


def authenticate(session: Session, caller: Caller) -> User:
    """The user holding the caller's token (one indexed lookup)."""
    user = session.scalars(_BY_TOKEN, caller.params()).one_or_none()
    if user is None:
        raise Unauthenticated("the bearer token matches no user; ask for a new one")
    return user


def sees_learner(
    learner_id: SQLColumnExpression[int], token_hash: ColumnElement[str] = CALLER_TOKEN
) -> ColumnElement[bool]:
    """True when the user holding `token_hash` is that learner or one of their mentors.

    The mentorship test is nested two levels deep (inside the viewer's EXISTS), and
    SQLAlchemy auto-correlates a subquery only to the query directly around it: left
    to itself it added `learner_id`'s table (reports, users) to the inner FROM as a
    table of its own, so a mentor of anyone saw everyone. Everything but
    `mentorships` is therefore correlated explicitly, to whichever query around it
    has it (tests/nippo/test_authorization.py: a mentor of another learner).
    """
    viewer = _VIEWER.c
    mentors = (
        exists()
        .where(_MENTORSHIPS.mentor_id == viewer.id, _MENTORSHIPS.learner_id == learner_id)
        .correlate_except(Mentorship.__table__)
    )
    return exists().where(
        and_(viewer.token_hash == token_hash, or_(viewer.id == learner_id, mentors))
    )


def caller_sees_learner(
    caller: Caller, learner_id: SQLColumnExpression[int]
) -> ColumnElement[bool]:
    """True when the caller is that learner or one of their mentors (the token as a literal
    bound value; statements built once use `sees_learner()` and bind `caller.params()`)."""
    return sees_learner(learner_id, literal(caller.token_hash, String(64)))


def is_known(session: Reader, caller: Caller) -> bool:
    """Whether any user holds the caller's token (tells 401 from 404 after a miss)."""
    return session.scalar(_KNOWN, caller.params()) is True


def not_visible(session: Reader, caller: Caller, what: str) -> Exception:
    """The error for a scoped read that found nothing: 401 for an unknown token, else 404."""
    # Only asked on a miss, so a hit costs no extra statement.
    if not is_known(session, caller):
        return Unauthenticated("the bearer token matches no user; ask for a new one")
    return NotFound(f"{what} not found")


__all__ = [
    "CALLER_TOKEN",
    "TOKEN_PREFIX",
    "Caller",
    "Reader",
    "authenticate",
    "caller_sees_learner",
    "hash_token",
    "is_known",
    "new_token",
    "not_visible",
    "sees_learner",
]
