"""Routes under /api/v1/learners and /api/v1/me: reports in a date range, study time, who am I
and my time zone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from nippo import service
from nippo.api.deps import CallerDep, SessionDep
from nippo.api.problems import problem_responses
from nippo.params import IsoDate, RowId
from nippo.schemas import ProfileChange, ProfileOut, ReportSummaryOut, StudyTimeOut
from nippo.service.limits import MAX_RANGE_DAYS

router = APIRouter(tags=["learners"])

LearnerId = Annotated[RowId, Path(description="The learner's id.")]
_ERRORS = problem_responses(404)


@router.get("/learners/{learner_id:int}/reports", responses=_ERRORS)
def list_reports(
    learner_id: LearnerId,
    start: Annotated[IsoDate, Query(alias="from", description="First date, inclusive.")],
    end: Annotated[
        IsoDate,
        Query(alias="to", description=f"Last date, inclusive; {MAX_RANGE_DAYS} days at most."),
    ],
    caller: CallerDep,
    session: SessionDep,
) -> list[ReportSummaryOut]:
    """A learner's reports from one date to another (a year at most), by date."""
    reports = service.list_reports(session, caller, learner_id, start, end)
    return [ReportSummaryOut.of(r) for r in reports]


@router.get("/learners/{learner_id:int}/study-time", responses=_ERRORS)
def study_time(
    learner_id: LearnerId,
    caller: CallerDep,
    session: SessionDep,
    day: Annotated[
        IsoDate | None,
        Query(
            alias="date",
            description="The day to total up to; default today in the learner's time zone.",
        ),
    ] = None,
) -> StudyTimeOut:
    """Today, this week (from Monday) and all-time study minutes up to a date."""
    return StudyTimeOut.of(service.study_time_on(session, caller, learner_id, day))


@router.get("/me")
def me(caller: CallerDep, session: SessionDep) -> ProfileOut:
    """Who the token belongs to; a mentor also sees their learners."""
    return ProfileOut.of(service.profile(session, caller))


@router.patch("/me", responses=problem_responses(400, 413, 422))
def change_me(body: ProfileChange, caller: CallerDep, session: SessionDep) -> ProfileOut:
    """Change your time zone: "today" (the default date of imports and study time) follows it."""
    return ProfileOut.of(service.set_timezone(session, caller, body.timezone))


__all__ = ["router"]
