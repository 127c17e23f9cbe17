"""Mentor feedback on reports: a mentor of the report's learner writes, learner and mentors read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import BindParameter, Integer, and_, bindparam, exists, select
from sqlalchemy.orm import Session

from dbtier.errors import UsageError
from nippo.auth import Caller, Reader, authenticate, not_visible, sees_learner
from nippo.errors import Forbidden, NotFound
from nippo.models import Feedback, Mentorship, Report, User
from nippo.service.limits import MAX_FEEDBACK_CHARS
from nippo.service.unit_of_work import retried, writing
from nippo.text import first_unstorable


@dataclass(frozen=True)
class FeedbackItem:
    """One piece of feedback with its mentor's name."""

    id: int
    report_id: int
    mentor_id: int
    mentor_name: str
    body: str
    created_at: dt.datetime


@retried
def add_feedback(session: Session, caller: Caller, report_id: int, body: str) -> FeedbackItem:
    """A mentor of the report's learner leaves feedback."""
    if not body.strip():
        raise UsageError("feedback body is empty; write what the learner should read")
    if len(body) > MAX_FEEDBACK_CHARS:
        raise UsageError(
            f"feedback body is {len(body)} characters; the limit is {MAX_FEEDBACK_CHARS}"
        )
    problem = first_unstorable(body, multiline=True)
    if problem is not None:
        raise UsageError(f"feedback body: {problem}")
    with writing(session, conflict="feedback could not be stored"):
        user = authenticate(session, caller)
        mentors_learner = exists().where(
            and_(Mentorship.mentor_id == user.id, Mentorship.learner_id == Report.learner_id)
        )
        row = session.execute(
            select(Report.id, Report.learner_id).where(
                Report.id == report_id, (Report.learner_id == user.id) | mentors_learner
            )
        ).one_or_none()
        if row is None:
            raise NotFound(f"report {report_id} not found")
        if row.learner_id == user.id:
            raise Forbidden("learners read feedback on their reports; their mentors write it")
        item = Feedback(report_id=report_id, mentor_id=user.id, body=body)
        session.add(item)
        session.flush()
        result = FeedbackItem(item.id, report_id, user.id, user.name, body, item.created_at)
    return result


_REPORT_ID: BindParameter[int] = bindparam("report_id", type_=Integer)
_MENTOR = User.__table__.alias("mentor")
# Built once, on the Core tables; a request binds the report id and the caller's token
# hash. The rows go straight into `FeedbackItem`s (no ORM entity is loaded).
_R, _F, _M = Report.__table__.c, Feedback.__table__.c, _MENTOR.c
_VISIBLE_FEEDBACK = (
    select(_R.id, _F.id, _F.mentor_id, _M.name, _F.body, _F.created_at)
    .select_from(
        Report.__table__.outerjoin(Feedback.__table__, _F.report_id == _R.id).outerjoin(
            _MENTOR, _M.id == _F.mentor_id
        )
    )
    .where(_R.id == _REPORT_ID, sees_learner(_R.learner_id))
    .order_by(_F.created_at, _F.id)
)


def list_feedback(session: Reader, caller: Caller, report_id: int) -> list[FeedbackItem]:
    """Feedback on a report the caller may see, oldest first (one statement)."""
    rows = session.execute(_VISIBLE_FEEDBACK, {_REPORT_ID.key: report_id} | caller.params()).all()
    if not rows:
        raise not_visible(session, caller, f"report {report_id}")
    return [
        FeedbackItem(feedback_id, rid, mentor_id, name, body, created_at)
        for rid, feedback_id, mentor_id, name, body, created_at in rows
        if feedback_id is not None
    ]


__all__ = ["FeedbackItem", "add_feedback", "list_feedback"]
