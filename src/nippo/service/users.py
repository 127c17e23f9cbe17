"""Learners and mentors: creating them with a fresh token, assigning mentors to learners."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import select
from sqlalchemy.orm import Session

from dbtier.errors import UsageError
from nippo.auth import Caller, authenticate, hash_token, new_token
from nippo.errors import Conflict, NotFound
from nippo.limits import MAX_TIMEZONE
from nippo.models import DEFAULT_TIMEZONE, ROLES, Mentorship, User
from nippo.service.unit_of_work import retried, writing

MAX_NAME = 100


@dataclass(frozen=True)
class NewUser:
    """A created user and their bearer token (shown once, stored only as a hash)."""

    id: int
    name: str
    role: str
    timezone: str
    token: str
    learners: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    """Who the caller is, and for a mentor, whom they mentor."""

    id: int
    name: str
    role: str
    timezone: str
    learners: tuple[tuple[int, str], ...]


@functools.cache
def _known_zones() -> frozenset[str]:
    # "localtime" names the machine's own zone, which differs between a laptop and Fargate.
    return frozenset(available_timezones()) - {"localtime"}


def check_timezone(name: str, *, what: str = "--timezone") -> None:
    """An IANA time zone name zoneinfo knows, like Asia/Tokyo (not a file path, not 'localtime')."""
    problem = f"{what} {name!r} is not an IANA time zone; use a name like {DEFAULT_TIMEZONE}"
    if len(name) > MAX_TIMEZONE or name not in _known_zones():
        raise UsageError(problem)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UsageError(problem) from None


def _check_new(name: str, role: str, timezone: str, mentor_of: list[str]) -> None:
    if not name.strip() or len(name) > MAX_NAME or name != name.strip():
        raise UsageError(f"--name {name!r}: use 1 to {MAX_NAME} characters, no outer spaces")
    if role not in ROLES:
        raise UsageError(f"--role {role!r}: use one of {', '.join(ROLES)}")
    if mentor_of and role != "mentor":
        raise UsageError("--mentor-of is for mentors; create the learner, then the mentor")
    check_timezone(timezone)


def _learners_named(session: Session, names: list[str]) -> list[User]:
    found = {
        user.name: user
        for user in session.scalars(select(User).where(User.name.in_(names)))
        if user.role == "learner"
    }
    missing = [name for name in names if name not in found]
    if missing:
        raise NotFound(
            f"--mentor-of: no learner named {', '.join(missing)}; create them first "
            "(dbtier users create --role learner)"
        )
    return [found[name] for name in dict.fromkeys(names)]


@retried
def create_user(
    session: Session,
    name: str,
    role: str,
    *,
    timezone: str = DEFAULT_TIMEZONE,
    mentor_of: list[str] | None = None,
) -> NewUser:
    """A new learner or mentor with a fresh token; a mentor may be assigned learners."""
    mentor_of = mentor_of or []
    _check_new(name, role, timezone, mentor_of)
    token = new_token()
    with writing(session, conflict=f"a user named {name!r} already exists; pick another name"):
        if session.scalar(select(User.id).where(User.name == name)) is not None:
            raise Conflict(f"a user named {name!r} already exists; pick another name")
        learners = _learners_named(session, mentor_of)
        user = User(name=name, role=role, timezone=timezone, token_hash=hash_token(token))
        session.add(user)
        session.flush()
        session.add_all(Mentorship(mentor_id=user.id, learner_id=lr.id) for lr in learners)
        created = NewUser(user.id, name, role, timezone, token, tuple(lr.name for lr in learners))
    return created


def profile(session: Session, caller: Caller) -> Profile:
    """The caller and, for a mentor, their learners."""
    user = authenticate(session, caller)
    learners = session.execute(
        select(User.id, User.name)
        .join(Mentorship, Mentorship.learner_id == User.id)
        .where(Mentorship.mentor_id == user.id)
        .order_by(User.name)
    ).all()
    return Profile(user.id, user.name, user.role, user.timezone, tuple((i, n) for i, n in learners))


def set_timezone(session: Session, caller: Caller, timezone: str) -> Profile:
    """Change the caller's time zone (their "today" follows it); UsageError for an unknown zone."""
    check_timezone(timezone, what="timezone")
    with writing(session, conflict="the time zone could not be changed"):
        user = authenticate(session, caller)
        user.timezone = timezone
    return profile(session, caller)


__all__ = [
    "MAX_NAME",
    "NewUser",
    "Profile",
    "check_timezone",
    "create_user",
    "profile",
    "set_timezone",
]
