"""Routes under /api/v1/learners and /api/v1/me: reports in a date range, study time, who am I."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query

from nippo import service
from nippo.api.deps import CallerDep, SessionDep
from nippo.schemas import Problem, ProfileOut, ReportSummaryOut, StudyTimeOut
from nippo.service.limits import check_date

router = APIRouter(tags=["learners"])

LearnerId = Annotated[int, Path(ge=1, le=2_147_483_647, description="The learner's id.")]
_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": Problem, "description": "No bearer token, or an unknown one."},
    404: {"model": Problem, "description": "No such learner, or not yours to see."},
}


@router.get("/learners/{learner_id}/reports", responses=_ERRORS)
def list_reports(
    learner_id: LearnerId,
    start: Annotated[dt.date, Query(alias="from", description="First date, inclusive.")],
    end: Annotated[dt.date, Query(alias="to", description="Last date, inclusive.")],
    caller: CallerDep,
    session: SessionDep,
) -> list[ReportSummaryOut]:
    """A learner's reports from one date to another (a year at most), by date."""
    reports = service.list_reports(session, caller, learner_id, start, end)
    return [ReportSummaryOut.of(r) for r in reports]


@router.get("/learners/{learner_id}/study-time", responses=_ERRORS)
def study_time(
    learner_id: LearnerId,
    day: Annotated[dt.date, Query(alias="date", description="The day to total up to.")],
    caller: CallerDep,
    session: SessionDep,
) -> StudyTimeOut:
    """Today, this week (from Monday) and all-time study minutes up to a date."""
    check_date(day, name="date")
    return StudyTimeOut.of(service.study_time(session, learner_id, day, caller=caller))


@router.get("/me", responses={401: _ERRORS[401]})
def me(caller: CallerDep, session: SessionDep) -> ProfileOut:
    """Who the token belongs to; a mentor also sees their learners."""
    return ProfileOut.of(service.profile(session, caller))


__all__ = ["router"]
