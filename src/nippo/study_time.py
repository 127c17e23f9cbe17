"""Study time of a learner on a date, computed by the database in one statement.

today: the minutes of that date's tasks; week: the tasks from that week's
Monday up to the date; total: every task up to the date. Opening-balance
adjustments (`study_time_adjustments`) add to week and total from their
effective date on. One SELECT sums a UNION ALL of task minutes and adjustments
with CASE; no report is ever loaded into Python. When a caller is given, the
same statement checks they may see the learner (no row: 404).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Subquery,
    case,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from nippo.auth import Caller, caller_sees_learner, not_visible
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


def _minutes_up_to(learner_id: int, on: dt.date) -> Subquery:
    zero = literal_column("0", Integer)
    tasks = (
        select(
            Report.learner_id.label("learner_id"),
            Report.report_date.label("day"),
            ReportTask.minutes.label("task_minutes"),
            zero.label("week_adjustment"),
            zero.label("total_adjustment"),
        )
        .join(ReportTask, ReportTask.report_id == Report.id)
        .where(Report.learner_id == learner_id, Report.report_date <= on)
    )
    adjustments = select(
        StudyTimeAdjustment.learner_id,
        StudyTimeAdjustment.effective_date,
        zero,
        StudyTimeAdjustment.week_minutes,
        StudyTimeAdjustment.total_minutes,
    ).where(
        StudyTimeAdjustment.learner_id == learner_id,
        StudyTimeAdjustment.effective_date <= on,
    )
    return union_all(tasks, adjustments).subquery("minutes")


def _sum(expression: ColumnElement[int]) -> ColumnElement[int]:
    return func.coalesce(func.sum(expression), 0)


def study_time_statement(
    learner_id: int, on: dt.date, caller: Caller | None = None
) -> Select[int, int, int, int]:
    """The one SELECT: (learner id, today, week, total); no row when not visible."""
    minutes = _minutes_up_to(learner_id, on)
    m = minutes.c
    monday = week_start(on)
    statement = (
        select(
            User.id,
            _sum(case((m.day == on, m.task_minutes), else_=0)),
            _sum(case((m.day >= monday, m.task_minutes + m.week_adjustment), else_=0)),
            _sum(m.task_minutes + m.total_adjustment),
        )
        .select_from(User)
        .outerjoin(minutes, m.learner_id == User.id)
        .where(User.id == learner_id, User.role == "learner")
        .group_by(User.id)
    )
    if caller is not None:
        statement = statement.where(caller_sees_learner(caller, User.id))
    return statement


def study_time(
    session: Session, learner_id: int, on: dt.date, *, caller: Caller | None = None
) -> StudyTime:
    """Study time of a learner on a date; NotFound when absent or not the caller's to see."""
    row = session.execute(study_time_statement(learner_id, on, caller)).one_or_none()
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
