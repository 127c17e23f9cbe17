"""Home pages: a learner's study time, weekly chart and reports by month; a mentor's learners."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nippo import service
from nippo.api.deps import SessionDep
from nippo.params import IsoDate, RowId
from nippo.service.limits import MAX_RANGE_DAYS
from nippo.web.chart import HEIGHT, WIDTH, bars, weekly_minutes
from nippo.web.deps import ViewerDep, today_in
from nippo.web.rendering import render
from nippo.web.session import SignInRequired, signed_in

router = APIRouter()


@router.get("/")
def start(request: Request) -> Response:
    """Signed in: home; otherwise the sign-in page."""
    try:
        signed_in(request)
    except SignInRequired:
        return RedirectResponse("/signin", status_code=303)
    return RedirectResponse("/home", status_code=303)


@router.get("/home")
def home(me: ViewerDep) -> Response:
    """A learner's own page, or a mentor's list of learners."""
    target = f"/learners/{me.profile.id}" if me.learner else "/learners"
    return RedirectResponse(target, status_code=303)


@router.get("/learners", response_class=HTMLResponse)
def learners(request: Request, me: ViewerDep) -> Response:
    """The learners a mentor is assigned to."""
    return render(request, "learners.html", me=me, learners=me.profile.learners)


@router.get("/learners/{learner_id:int}", response_class=HTMLResponse)
def learner_page(
    request: Request,
    learner_id: RowId,
    me: ViewerDep,
    session: SessionDep,
    until: Annotated[IsoDate | None, Query(description="Last date of the listed year.")] = None,
) -> Response:
    """A learner's study time (today / week / total), weekly chart and a year of reports
    by month (up to tomorrow, or `until` for older years)."""
    learner = service.visible_learner(session, me.caller, learner_id)
    today = today_in(learner.timezone)
    figures = service.study_time(session, learner.id, today, caller=me.caller)
    end = until or today + dt.timedelta(days=1)
    start = end - dt.timedelta(days=MAX_RANGE_DAYS - 1)
    reports = service.list_reports(session, me.caller, learner.id, start, end)
    months = [
        (month, list(items))
        for month, items in itertools.groupby(
            reversed(reports), key=lambda r: r.report_date.strftime("%Y-%m")
        )
    ]
    return render(
        request,
        "learner.html",
        me=me,
        learner=learner,
        today=today,
        figures=figures,
        months=months,
        start=start,
        end=end,
        older=start - dt.timedelta(days=1),
        bars=bars(weekly_minutes(session, me.caller, learner.id, today)),
        chart_width=WIDTH,
        chart_height=HEIGHT,
    )


__all__ = ["router"]
