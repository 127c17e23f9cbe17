"""Study time of a learner on a date, computed by the database in one statement.

today: the minutes of that date's tasks; week: the tasks from that week's
Monday up to the date; total: every task up to the date. Opening-balance
adjustments (`study_time_adjustments`) add to week and total from their
effective date on.

The total does not sum the history: each report carries its learner's running
total of task minutes through its date (`reports.minutes_through`, kept by
every write: `nippo.service.running_total`), so "every task up to the date" is
that column of the learner's latest report on or before it, one seek on the
(learner_id, report_date) index, however many years of reports lie behind it.
One SELECT sums a UNION ALL of the week's task minutes (at most seven reports)
and the learner's adjustments (a small table) with CASE, and adds the seek; no
report is ever loaded into Python. When a caller is given, the same statement
checks they may see the learner (no row: 404). Both forms of the statement are
built once, at import, with bound parameters; a request binds the learner, the
date, its Monday and the caller's token hash.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    Subquery,
    bindparam,
    case,
    func,
    literal_column,
    select,
    union_all,
)

from nippo.auth import Caller, Reader, not_visible, sees_learner
from nippo.errors import NotFound
from nippo.models import Report, ReportTask, StudyTimeAdjustment, User


@dataclass(frozen=True)
class StudyTime:
    """A learner's study time on a date, in minutes."""

    learner_id: int
    on: dt.date
    week_start: dt.date
    today_minutes: int
    week_minutes: int
    total_minutes: int


def week_start(day: dt.date) -> dt.date:
    """The Monday of the day's week (weeks start on Monday)."""
    return day - dt.timedelta(days=day.weekday())


LEARNER: BindParameter[int] = bindparam("learner_id", type_=Integer)
ON: BindParameter[dt.date] = bindparam("on", type_=Date)
MONDAY: BindParameter[dt.date] = bindparam("monday", type_=Date)


# Core tables, not ORM entities: the rows are plain numbers, so the ORM's execution
# layer (entity loading, identity map) would only add work per request.
_REPORTS = Report.__table__.c
_TASKS = ReportTask.__table__.c
_ADJUSTMENTS = StudyTimeAdjustment.__table__.c
_USERS = User.__table__
# Constants are written into the SQL, not bound: the driver escapes every bound value on
# every execution (mysqlclient, client-side), and a constant has nothing to bind.
_ZERO = literal_column("0", Integer)
_ONE = literal_column("1", Integer)
_LEARNER_ROLE: ColumnElement[str] = literal_column("'learner'", String)


def _minutes_of_week(
    learner_id: ColumnElement[int], on: ColumnElement[dt.date], monday: ColumnElement[dt.date]
) -> Subquery:
    """The week's task minutes (Monday to the date) and every adjustment up to the date."""
    r, t, a = _REPORTS, _TASKS, _ADJUSTMENTS
    tasks = (
        select(
            r.learner_id.label("learner_id"),
            r.report_date.label("day"),
            t.minutes.label("task_minutes"),
            _ZERO.label("week_adjustment"),
            _ZERO.label("total_adjustment"),
        )
        .select_from(Report.__table__.join(ReportTask.__table__, t.report_id == r.id))
        .where(r.learner_id == learner_id, r.report_date.between(monday, on))
    )
    adjustments = select(
        a.learner_id, a.effective_date, _ZERO, a.week_minutes, a.total_minutes
    ).where(a.learner_id == learner_id, a.effective_date <= on)
    return union_all(tasks, adjustments).subquery("minutes")


def _tasks_through(
    learner_id: ColumnElement[int], on: ColumnElement[dt.date]
) -> ColumnElement[int]:
    """The running total of the learner's latest report on or before the date (0 before any)."""
    r = _REPORTS
    latest = (
        select(r.minutes_through)
        .where(r.learner_id == learner_id, r.report_date <= on)
        .order_by(r.report_date.desc())
        .limit(_ONE)
        .scalar_subquery()
    )
    return func.coalesce(latest, _ZERO)


def _sum(expression: ColumnElement[int]) -> ColumnElement[int]:
    return func.coalesce(func.sum(expression), _ZERO)


def _statement(*, scoped: bool) -> Select[int, int, int, int]:
    """The one SELECT over the bound parameters; `scoped`: only a row the caller may see."""
    learner_id, on, monday = LEARNER, ON, MONDAY
    minutes = _minutes_of_week(learner_id, on, monday)
    m = minutes.c
    user = _USERS.c
    statement = (
        select(
            user.id,
            _sum(case((m.day == on, m.task_minutes), else_=_ZERO)),
            _sum(case((m.day >= monday, m.task_minutes + m.week_adjustment), else_=_ZERO)),
            _tasks_through(learner_id, on) + _sum(m.total_adjustment),
        )
        .select_from(_USERS.outerjoin(minutes, m.learner_id == user.id))
        .where(user.id == learner_id, user.role == _LEARNER_ROLE)
        .group_by(user.id)
    )
    if scoped:
        statement = statement.where(sees_learner(user.id))
    return statement


_UNSCOPED = _statement(scoped=False)
_SCOPED = _statement(scoped=True)


def _params(learner_id: int, on: dt.date, caller: Caller | None) -> dict[str, Any]:
    values: dict[str, Any] = {LEARNER.key: learner_id, ON.key: on, MONDAY.key: week_start(on)}
    return values | caller.params() if caller is not None else values


def study_time_statement(
    learner_id: int, on: dt.date, caller: Caller | None = None
) -> Select[int, int, int, int]:
    """The one SELECT: (learner id, today, week, total); no row when not visible.

    The statement with its values bound (for EXPLAIN and benchmarks); the service
    executes the prebuilt one with the values as parameters.
    """
    statement = _UNSCOPED if caller is None else _SCOPED
    return statement.params(_params(learner_id, on, caller))


def study_time(
    session: Reader, learner_id: int, on: dt.date, *, caller: Caller | None = None
) -> StudyTime:
    """Study time of a learner on a date; NotFound when absent or not the caller's to see."""
    statement = _UNSCOPED if caller is None else _SCOPED
    row = session.execute(statement, _params(learner_id, on, caller)).one_or_none()
    if row is None:
        if caller is not None:
            raise not_visible(session, caller, f"learner {learner_id}")
        raise NotFound(f"learner {learner_id} not found")
    _, today, week, total = row
    return StudyTime(
        learner_id=learner_id,
        on=on,
        week_start=week_start(on),
        today_minutes=int(today),
        week_minutes=int(week),
        total_minutes=int(total),
    )


__all__ = ["StudyTime", "study_time", "study_time_statement", "week_start"]
