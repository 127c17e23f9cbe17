"""The running total every report carries: its learner's task minutes through its date.

`reports.minutes_through` of a report dated D is the sum of the task minutes
of that learner's reports dated on or before D. The study-time statement reads
the all-time total from it with one index seek (`nippo.study_time`), so every
write that adds, removes, re-dates or re-tasks a report keeps it right, in the
write's own transaction (`place`):

1. `lock_learner`: the learner's `users` row is locked (`FOR NO KEY UPDATE`
   on PostgreSQL, `FOR UPDATE` on MySQL/MariaDB; on SQLite, a no-op UPDATE of
   the row takes the database's write lock). Two writes of one learner's
   reports therefore run one after the other, and neither computes from a
   value the other is about to change; other learners' writes do not wait.
2. `stored`: what the report contributed before the write (its stored date,
   its tasks' minutes), read after the lock with locking reads, which see the
   latest committed rows even in a REPEATABLE READ transaction whose snapshot
   is older than the lock (a page that read the caller's profile first).
3. `shift`: one UPDATE shifts the learner's later reports by the difference
   (`minutes_through + CASE ...`; a report moved from one date to another is
   taken out after the old date and put in after the new one), then the
   report's own value is the previous report's value (a locking read) plus
   its minutes (`through`), which the caller writes into the row (`place`
   does both).

A write on an early date costs one UPDATE over the learner's later reports
(at most a few thousand rows after ten years); a read never sums the history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from sqlalchemy import (
    BindParameter,
    Date,
    Integer,
    Table,
    bindparam,
    case,
    func,
    select,
    update,
)
from sqlalchemy.orm import Session

from nippo.models import Report, ReportTask, User

_LEARNER: BindParameter[int] = bindparam("b_learner_id", type_=Integer)
_REPORT: BindParameter[int] = bindparam("b_report_id", type_=Integer)
_DAY: BindParameter[dt.date] = bindparam("day", type_=Date)
_AFTER: BindParameter[dt.date] = bindparam("after", type_=Date)
_REMOVED_DAY: BindParameter[dt.date] = bindparam("removed_day", type_=Date)
_REMOVED: BindParameter[int] = bindparam("removed", type_=Integer)
_ADDED_DAY: BindParameter[dt.date] = bindparam("added_day", type_=Date)
_ADDED: BindParameter[int] = bindparam("added", type_=Integer)
NO_REPORT = 0  # `report_id` of a report not stored yet: no row has id 0

_REPORTS = cast("Table", Report.__table__)
_R = _REPORTS.c
_USERS = cast("Table", User.__table__)

# The statements, built once; a write binds its values.
_LOCK = select(_USERS.c.id).where(_USERS.c.id == _LEARNER).with_for_update(key_share=True)
_LOCK_SQLITE = (  # SQLite has no row locks: the first write of a transaction takes the database's
    update(_USERS).where(_USERS.c.id == _LEARNER).values(role=_USERS.c.role)
)
_STORED_DAY = select(_R.report_date).where(_R.id == _REPORT).with_for_update(read=True)
_STORED_MINUTES = (
    select(ReportTask.__table__.c.minutes)
    .where(ReportTask.__table__.c.report_id == _REPORT)
    .with_for_update(read=True)
)
_SHIFT = (
    update(_REPORTS)
    .where(_R.learner_id == _LEARNER, _R.report_date > _AFTER, _R.id != _REPORT)
    .values(
        minutes_through=_R.minutes_through
        - case((_R.report_date > _REMOVED_DAY, _REMOVED), else_=0)
        + case((_R.report_date > _ADDED_DAY, _ADDED), else_=0)
    )
)
_PREVIOUS = (
    select(_R.minutes_through)
    .where(_R.learner_id == _LEARNER, _R.report_date < _DAY, _R.id != _REPORT)
    .order_by(_R.report_date.desc())
    .limit(1)
    .with_for_update(read=True)
)


@dataclass(frozen=True)
class Contribution:
    """What one report adds to its learner's running total: its date and its tasks' minutes."""

    day: dt.date
    minutes: int


def lock_learner(session: Session, learner_id: int) -> None:
    """Serialize writes of this learner's reports until the transaction ends (see the module)."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    session.execute(_LOCK_SQLITE if sqlite else _LOCK, {_LEARNER.key: learner_id})


def stored(session: Session, report_id: int) -> Contribution | None:
    """The report's stored date and minutes, read afresh under the lock (None: no such report)."""
    values = {_REPORT.key: report_id}
    day = session.scalar(_STORED_DAY, values)
    if day is None:
        return None
    minutes = sum(session.scalars(_STORED_MINUTES, values))
    return Contribution(day, minutes)


def shift(
    session: Session,
    learner_id: int,
    report_id: int,
    before: Contribution | None,
    after: Contribution | None,
) -> None:
    """Move a report's contribution from `before` to `after` (None: absent) in the learner's
    later reports, under the lock; `report_id` is `NO_REPORT` for one not stored yet."""
    if before == after:
        return
    days = [c.day for c in (before, after) if c is not None]
    session.execute(
        _SHIFT,
        {
            _LEARNER.key: learner_id,
            _REPORT.key: report_id,
            _AFTER.key: min(days),
            _REMOVED_DAY.key: before.day if before else min(days),
            _REMOVED.key: before.minutes if before else 0,
            _ADDED_DAY.key: after.day if after else min(days),
            _ADDED.key: after.minutes if after else 0,
        },
    )


def through(session: Session, learner_id: int, report_id: int, at: Contribution) -> int:
    """The report's own running total at `at`: the previous report's, plus its minutes
    (after `shift`, under the lock)."""
    values = {_LEARNER.key: learner_id, _DAY.key: at.day, _REPORT.key: report_id}
    previous = session.scalar(_PREVIOUS, values)
    return (previous or 0) + at.minutes


def place(
    session: Session,
    learner_id: int,
    report_id: int,
    before: Contribution | None,
    after: Contribution,
) -> int:
    """`shift`, then `through`: the running total the report carries at `after`."""
    shift(session, learner_id, report_id, before, after)
    return through(session, learner_id, report_id, after)


_PER_REPORT = (
    select(_R.id, _R.minutes_through, func.coalesce(func.sum(ReportTask.__table__.c.minutes), 0))
    .select_from(_REPORTS.outerjoin(ReportTask.__table__))
    .where(_R.learner_id == _LEARNER)
    .group_by(_R.id, _R.report_date, _R.minutes_through)
    .order_by(_R.report_date)
)
_SET_THROUGH = (
    update(_REPORTS).where(_R.id == _REPORT).values(minutes_through=bindparam("b_through"))
)


def rebuild(session: Session, learner_id: int) -> int:
    """Recompute one learner's running totals from their tasks, under the lock; the count of
    reports changed (only those are written). For rows written by code that did not keep the
    column (between migration 0003 and the deploy of the code that keeps it); call it first
    in its transaction (its reads then see what the lock's holders committed); the caller
    commits (`nippo.service.running_total_repair`)."""
    lock_learner(session, learner_id)
    rows = session.execute(_PER_REPORT, {_LEARNER.key: learner_id}).all()
    running = 0
    values = []
    for report_id, stored_through, minutes in rows:
        running += int(minutes)
        if stored_through != running:
            values.append({_REPORT.key: report_id, "b_through": running})
    if values:
        session.execute(_SET_THROUGH, values)
    return len(values)


__all__ = [
    "NO_REPORT",
    "Contribution",
    "lock_learner",
    "place",
    "rebuild",
    "shift",
    "stored",
    "through",
]
