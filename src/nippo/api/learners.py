"""Routes under /api/v1/learners and /api/v1/me: reports in a date range, study time, who am I
and my time zone."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request, Response

from nippo import service
from nippo.api.answers import json_answer
from nippo.api.deps import CallerDep, connection_for, session_for
from nippo.api.problems import problem_responses
from nippo.api.routes import api_router
from nippo.params import IsoDate, RowId
from nippo.schemas import ProfileChange, ProfileOut, ReportSummaryOut, StudyTimeOut
from nippo.service.limits import MAX_RANGE_DAYS

router = api_router(tags=["learners"])

LearnerId = Annotated[RowId, Path(description="The learner's id.")]
_ERRORS = problem_responses(404)


@router.get(
    "/learners/{learner_id:int}/reports", response_model=list[ReportSummaryOut], responses=_ERRORS
)
def list_reports(
    learner_id: LearnerId,
    start: Annotated[IsoDate, Query(alias="from", description="First date, inclusive.")],
    end: Annotated[
        IsoDate,
        Query(alias="to", description=f"Last date, inclusive; {MAX_RANGE_DAYS} days at most."),
    ],
    caller: CallerDep,
    request: Request,
) -> Response:
    """A learner's reports from one date to another (a year at most), by date."""
    with session_for(request) as session:
        reports = service.list_reports(session, caller, learner_id, start, end)
    return json_answer([ReportSummaryOut.of(r) for r in reports])


@router.get("/learners/{learner_id:int}/study-time", response_model=StudyTimeOut, responses=_ERRORS)
def study_time(
    learner_id: LearnerId,
    caller: CallerDep,
    request: Request,
    day: Annotated[
        IsoDate | None,
        Query(
            alias="date",
            description="The day to total up to; default today in the learner's time zone.",
        ),
    ] = None,
) -> Response:
    """Today, this week (from Monday) and all-time study minutes up to a date."""
    if day is None:  # the learner's time zone first (a second statement)
        with session_for(request) as session:
            value = service.study_time_on(session, caller, learner_id)
    else:  # one statement, plain rows: a Core connection
        with connection_for(request) as connection:
            value = service.study_time(connection, learner_id, day, caller=caller)
    return json_answer(StudyTimeOut.of(value))


@router.get("/me", response_model=ProfileOut)
def me(caller: CallerDep, request: Request) -> Response:
    """Who the token belongs to; a mentor also sees their learners."""
    with session_for(request) as session:
        value = service.profile(session, caller)
    return json_answer(ProfileOut.of(value))


@router.patch("/me", responses=problem_responses(400, 413, 422))
def change_me(body: ProfileChange, caller: CallerDep, request: Request) -> ProfileOut:
    """Change your time zone: "today" (the default date of imports and study time) follows it."""
    with session_for(request) as session:
        return ProfileOut.of(service.set_timezone(session, caller, body.timezone))


__all__ = ["router"]
