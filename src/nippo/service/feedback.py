"""Mentor feedback on reports: a mentor of the report's learner writes, learner and mentors read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, aliased

from dbtier.errors import UsageError
from nippo.auth import Caller, authenticate, caller_sees_learner, not_visible
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


def list_feedback(session: Session, caller: Caller, report_id: int) -> list[FeedbackItem]:
    """Feedback on a report the caller may see, oldest first (one statement)."""
    mentor = aliased(User, name="mentor")
    rows = session.execute(
        select(Report.id, Feedback, mentor.name)
        .outerjoin(Feedback, Feedback.report_id == Report.id)
        .outerjoin(mentor, mentor.id == Feedback.mentor_id)
        .where(Report.id == report_id, caller_sees_learner(caller, Report.learner_id))
        .order_by(Feedback.created_at, Feedback.id)
    ).all()
    if not rows:
        raise not_visible(session, caller, f"report {report_id}")
    return [
        FeedbackItem(f.id, f.report_id, f.mentor_id, name, f.body, f.created_at)
        for _, f, name in rows
        if f is not None
    ]


__all__ = ["FeedbackItem", "add_feedback", "list_feedback"]
