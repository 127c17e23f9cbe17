"""Routes under /api/v1/reports: CRUD, Markdown import and export, feedback.

Each route translates HTTP to a service call and the result back; the rules
live in `nippo.service`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from dbtier.errors import UsageError
from nippo import service
from nippo.api.deps import CallerDep, SessionDep
from nippo.schemas import (
    FeedbackBody,
    FeedbackOut,
    ImportedReportOut,
    Problem,
    ReportBody,
    ReportOut,
)

router = APIRouter(prefix="/reports", tags=["reports"])

ReportId = Annotated[int, Path(ge=1, le=2_147_483_647, description="The report's id.")]
MARKDOWN_TYPES = ("text/markdown", "text/plain", "text/x-markdown")
_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": Problem, "description": "No bearer token, or an unknown one."},
    404: {"model": Problem, "description": "No such report, or not yours to see."},
}


@router.post("", status_code=201, responses=_ERRORS | {409: {"model": Problem}})
def create_report(body: ReportBody, caller: CallerDep, session: SessionDep) -> ReportOut:
    """Create the caller's report for a date (one per date)."""
    return ReportOut.of(service.create_report(session, caller, body.date, body.document()))


@router.post(
    "/import",
    status_code=201,
    responses=_ERRORS | {409: {"model": Problem}, 413: {"model": Problem}, 415: {"model": Problem}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/markdown": {"schema": {"type": "string"}}},
        }
    },
)
async def import_report(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    day: Annotated[
        dt.date | None,
        Query(alias="date", description="The report's date; default today in your time zone."),
    ] = None,
    keep_declared_totals: Annotated[
        bool,
        Query(
            description="Keep a declared week/total above the recorded one as an opening balance."
        ),
    ] = False,
) -> ImportedReportOut:
    """Import a report in the seed's Markdown; returns it with its study time."""
    text = _markdown_text(request.headers.get("content-type", ""), await request.body())
    result = await run_in_threadpool(
        service.import_report,
        session,
        caller,
        text,
        day=day,
        keep_declared_totals=keep_declared_totals,
    )
    return ImportedReportOut.of_import(result)


def _markdown_text(content_type: str, raw: bytes) -> str:
    media_type = content_type.split(";")[0].strip().lower()
    if media_type not in MARKDOWN_TYPES:
        raise HTTPException(
            415, f"Content-Type {media_type or '(none)'} is not Markdown; send text/markdown"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"the body is not UTF-8 (byte {exc.start}); save it as UTF-8") from None


@router.get("/{report_id}", responses=_ERRORS)
def read_report(report_id: ReportId, caller: CallerDep, session: SessionDep) -> ReportOut:
    """A report you wrote, or one of a learner you mentor."""
    return ReportOut.of(service.get_report(session, caller, report_id))


@router.put("/{report_id}", responses=_ERRORS | {403: {"model": Problem}, 409: {"model": Problem}})
def replace_report(
    report_id: ReportId, body: ReportBody, caller: CallerDep, session: SessionDep
) -> ReportOut:
    """Replace your report's date and content."""
    report = service.update_report(session, caller, report_id, body.date, body.document())
    return ReportOut.of(report)


@router.delete("/{report_id}", status_code=204, responses=_ERRORS | {403: {"model": Problem}})
def delete_report(report_id: ReportId, caller: CallerDep, session: SessionDep) -> Response:
    """Delete your report, with its feedback."""
    service.delete_report(session, caller, report_id)
    return Response(status_code=204)


@router.get(
    "/{report_id}/markdown",
    response_class=Response,
    responses=_ERRORS | {200: {"content": {"text/markdown": {"schema": {"type": "string"}}}}},
)
def export_report(report_id: ReportId, caller: CallerDep, session: SessionDep) -> Response:
    """The report in the seed's Markdown, study time from the database."""
    text = service.export_report(session, caller, report_id)
    return Response(text, media_type="text/markdown; charset=utf-8")


@router.get("/{report_id}/feedback", responses=_ERRORS)
def list_feedback(report_id: ReportId, caller: CallerDep, session: SessionDep) -> list[FeedbackOut]:
    """Feedback on a report (its learner and their mentors)."""
    return [FeedbackOut.of(item) for item in service.list_feedback(session, caller, report_id)]


@router.post(
    "/{report_id}/feedback", status_code=201, responses=_ERRORS | {403: {"model": Problem}}
)
def add_feedback(
    report_id: ReportId, body: FeedbackBody, caller: CallerDep, session: SessionDep
) -> FeedbackOut:
    """Leave feedback on a report of a learner you mentor."""
    return FeedbackOut.of(service.add_feedback(session, caller, report_id, body.body))


__all__ = ["router"]
