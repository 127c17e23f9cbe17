"""Study time as the API and the pages ask for it: on a date, or today in the learner's zone.

"Today" is the learner's, not the caller's: a mentor in Europe/Paris reading
a learner in Asia/Tokyo sees the learner's day (`nippo.clock`). Without a
date the learner's time zone is read first (the visibility check is in that
statement), so the request stays at two statements.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from nippo.auth import Caller
from nippo.clock import today_in
from nippo.service.reports import visible_learner
from nippo.study_time import StudyTime, study_time


def learner_today(session: Session, caller: Caller, learner_id: int) -> dt.date:
    """Today in the time zone of a learner the caller may see."""
    return today_in(visible_learner(session, caller, learner_id).timezone)


def study_time_on(
    session: Session, caller: Caller, learner_id: int, day: dt.date | None = None
) -> StudyTime:
    """A visible learner's study time on a day (default: today in the learner's time zone)."""
    if day is None:
        day = learner_today(session, caller, learner_id)
    return study_time(session, learner_id, day, caller=caller)


__all__ = ["learner_today", "study_time_on"]
