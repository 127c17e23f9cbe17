"""Reports: create, read, update, delete and list, each scoped to the caller.

A learner reads and writes their own reports; a mentor reads those of their
learners; anyone else gets `NotFound`, so ids do not leak. A read is one
statement for the report and its tasks (the visibility check in its WHERE
clause, the token lookup inside it) and one for its sections.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from sqlalchemy import (
    BindParameter,
    Date,
    Integer,
    Select,
    Table,
    bindparam,
    delete,
    func,
    select,
)
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from nippo.auth import Caller, authenticate, not_visible, sees_learner
from nippo.document import ReportDocument
from nippo.errors import Conflict, Forbidden, NotFound
from nippo.models import Report, ReportSection, ReportTask, User
from nippo.service.limits import check_document, check_range, check_report_date
from nippo.service.running_total import (
    NO_REPORT,
    Contribution,
    lock_learner,
    place,
    shift,
    stored,
)
from nippo.service.sources import forget_source
from nippo.service.storage import fill_report
from nippo.service.unit_of_work import retried, writing


@dataclass(frozen=True)
class ReportSummary:
    """A report in a listing: its date, title and the minutes of its tasks."""

    id: int
    report_date: dt.date
    title: str
    task_minutes: int


_REPORTS = cast("Table", Report.__table__)
_TASKS = cast("Table", ReportTask.__table__)
_SECTIONS = cast("Table", ReportSection.__table__)
_REPORT_ID: BindParameter[int] = bindparam("report_id", type_=Integer)
_LEARNER_ID: BindParameter[int] = bindparam("learner_id", type_=Integer)
_START: BindParameter[dt.date] = bindparam("start", type_=Date)
_END: BindParameter[dt.date] = bindparam("end", type_=Date)

# The read statements, built once; a request binds its values and the caller's token hash.
_VISIBLE_REPORT = (
    select(Report)
    .where(Report.id == _REPORT_ID, sees_learner(Report.learner_id))
    .options(joinedload(Report.tasks), selectinload(Report.sections))
)
_VISIBLE_LEARNER = select(User).where(
    User.id == _LEARNER_ID, User.role == "learner", sees_learner(User.id)
)
_SUMMARIES = (
    select(
        Report.id,
        Report.report_date,
        Report.title,
        func.coalesce(func.sum(ReportTask.minutes), 0),
    )
    .outerjoin(ReportTask, ReportTask.report_id == Report.id)
    .where(Report.learner_id == _LEARNER_ID, Report.report_date.between(_START, _END))
    .group_by(Report.id, Report.report_date, Report.title)
    .order_by(Report.report_date)
)


def visible_report_statement(caller: Caller, report_id: int) -> Select[Report]:
    """The report with its tasks (joined) and sections (one more SELECT), if the caller sees it."""
    return _VISIBLE_REPORT.params({_REPORT_ID.key: report_id} | caller.params())


def get_report(session: Session, caller: Caller, report_id: int) -> Report:
    """A report the caller may see (at most two statements)."""
    values = {_REPORT_ID.key: report_id} | caller.params()
    report = session.scalars(_VISIBLE_REPORT, values).unique().one_or_none()
    if report is None:
        raise not_visible(session, caller, f"report {report_id}")
    return report


def require_learner(session: Session, caller: Caller) -> User:
    """The calling user, who must be a learner (only learners write reports)."""
    user = authenticate(session, caller)
    if user.role != "learner":
        raise Forbidden(f"{user.name} is a mentor; only learners write reports")
    return user


def _existing_id(session: Session, learner_id: int, day: dt.date) -> int | None:
    return session.scalar(
        select(Report.id).where(Report.learner_id == learner_id, Report.report_date == day)
    )


def _conflict_message(report_id: int | None, day: dt.date) -> str:
    if report_id is None:
        return f"a report already exists for {day.isoformat()}; one report per day"
    return (
        f"report {report_id} already exists for {day.isoformat()}; one report per day: "
        f"change it with PUT /api/v1/reports/{report_id} or delete it first"
    )


def add_report(session: Session, user: User, day: dt.date, doc: ReportDocument) -> Report:
    """Insert (flush, not commit) a new report for a learner; the caller commits.

    The learner's later reports shift by its minutes and it carries its own running
    total (`nippo.service.running_total`), under the learner's lock until the commit.
    """
    check_report_date(day, user.timezone)
    check_document(doc)
    existing = _existing_id(session, user.id, day)
    if existing is not None:
        raise Conflict(_conflict_message(existing, day))
    lock_learner(session, user.id)
    through = place(session, user.id, NO_REPORT, None, Contribution(day, doc.task_minutes))
    report = Report(learner_id=user.id, report_date=day, minutes_through=through)
    fill_report(report, doc)
    session.add(report)
    session.flush()
    return report


@retried
def create_report(session: Session, caller: Caller, day: dt.date, doc: ReportDocument) -> Report:
    """A learner's new report for a day."""
    with writing(session, conflict=_conflict_message(None, day)):
        user = require_learner(session, caller)
        report = add_report(session, user, day, doc)
    return report


def _own_report(session: Session, caller: Caller, report_id: int) -> tuple[User, Report]:
    user = authenticate(session, caller)
    report = get_report(session, caller, report_id)
    if report.learner_id != user.id:
        raise Forbidden(
            f"report {report_id} belongs to a learner {user.name} mentors; "
            "only its learner can change it"
        )
    return user, report


@retried
def update_report(
    session: Session, caller: Caller, report_id: int, day: dt.date, doc: ReportDocument
) -> Report:
    """Replace a report's date and content (the learner's own only)."""
    with writing(session, conflict=_conflict_message(None, day)):
        learner, report = _own_report(session, caller, report_id)
        check_report_date(day, learner.timezone)
        check_document(doc)
        existing = _existing_id(session, report.learner_id, day)
        if existing not in (None, report_id):
            raise Conflict(_conflict_message(existing, day))
        lock_learner(session, learner.id)
        before = stored(session, report_id)
        if before is None:  # deleted since it was read
            raise NotFound(f"report {report_id} not found")
        after = Contribution(day, doc.task_minutes)
        report.minutes_through = place(session, learner.id, report_id, before, after)
        report.report_date = day
        # Only the children may differ, and then the row itself would not be updated.
        report.updated_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
        # Old children go first: (report_id, position) is unique. Deleted by report, not by
        # the ids loaded before the lock: another write may have replaced them since, and
        # `before` counted the tasks there are now.
        session.execute(delete(_TASKS).where(_TASKS.c.report_id == report_id))
        session.execute(delete(_SECTIONS).where(_SECTIONS.c.report_id == report_id))
        set_committed_value(report, "tasks", [])
        set_committed_value(report, "sections", [])
        forget_source(session, report.id)  # replaced: the export is canonical from now on
        session.flush()
        fill_report(report, doc)
        session.flush()
    return report


@retried
def delete_report(session: Session, caller: Caller, report_id: int) -> None:
    """Delete a report with its tasks, sections and feedback (the learner's own only);
    the learner's later reports shift back by its minutes."""
    with writing(session, conflict=f"report {report_id} could not be deleted"):
        learner, report = _own_report(session, caller, report_id)
        lock_learner(session, learner.id)
        before = stored(session, report_id)
        if before is None:  # deleted since it was read
            raise NotFound(f"report {report_id} not found")
        shift(session, learner.id, report_id, before, None)
        # By id, children by the foreign keys' ON DELETE CASCADE: not the children loaded
        # before the lock, which another write may have replaced since.
        session.execute(delete(_REPORTS).where(_REPORTS.c.id == report_id))
        session.expunge(report)


def visible_learner(session: Session, caller: Caller, learner_id: int) -> User:
    """A learner the caller may see (themselves, or one they mentor)."""
    values = {_LEARNER_ID.key: learner_id} | caller.params()
    learner = session.scalars(_VISIBLE_LEARNER, values).one_or_none()
    if learner is None:
        raise not_visible(session, caller, f"learner {learner_id}")
    return learner


def list_reports(
    session: Session, caller: Caller, learner_id: int, start: dt.date, end: dt.date
) -> list[ReportSummary]:
    """A learner's reports from start to end (inclusive), by date."""
    check_range(start, end)
    visible_learner(session, caller, learner_id)
    rows = session.execute(
        _SUMMARIES, {_LEARNER_ID.key: learner_id, _START.key: start, _END.key: end}
    )
    return [ReportSummary(row[0], row[1], row[2], int(row[3])) for row in rows]


__all__ = [
    "ReportSummary",
    "add_report",
    "create_report",
    "delete_report",
    "get_report",
    "list_reports",
    "require_learner",
    "update_report",
    "visible_learner",
    "visible_report_statement",
]
