"""Routes under /api/v1/reports: CRUD, Markdown import and export, feedback.

Each route translates HTTP to a service call and the result back; the rules
live in `nippo.service`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import HTTPException, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from dbtier.errors import UsageError
from nippo import service
from nippo.api.answers import json_answer
from nippo.api.deps import CallerDep, connection_for, session_for
from nippo.api.problems import problem_responses
from nippo.api.routes import api_router
from nippo.auth import Caller
from nippo.params import IsoDate, QueryBool, RowId
from nippo.schemas import (
    FeedbackBody,
    FeedbackOut,
    ImportedReportOut,
    ReportBody,
    ReportOut,
)
from nippo.service.limits import MAX_BODY_BYTES

router = api_router("/reports", tags=["reports"])

ReportId = Annotated[RowId, Path(description="The report's id.")]
MARKDOWN_TYPES = ("text/markdown", "text/plain", "text/x-markdown")
_ERRORS = problem_responses(404)
# OpenAPI links: what a client (and schemathesis' stateful phase) can do with a report it got.
_BY_REPORT = {
    "ReadReport": "read_report_api_v1_reports__report_id__get",
    "ReplaceReport": "replace_report_api_v1_reports__report_id__put",
    "DeleteReport": "delete_report_api_v1_reports__report_id__delete",
    "ExportReport": "export_report_api_v1_reports__report_id__markdown_get",
    "ListFeedback": "list_feedback_api_v1_reports__report_id__feedback_get",
    "AddFeedback": "add_feedback_api_v1_reports__report_id__feedback_post",
}
_BY_LEARNER = {
    "ListReports": "list_reports_api_v1_learners__learner_id__reports_get",
    "StudyTime": "study_time_api_v1_learners__learner_id__study_time_get",
}
LINKS = {
    name: {"operationId": op, "parameters": {"report_id": "$response.body#/id"}}
    for name, op in _BY_REPORT.items()
} | {
    name: {"operationId": op, "parameters": {"learner_id": "$response.body#/learner_id"}}
    for name, op in _BY_LEARNER.items()
}


@router.post(
    "",
    status_code=201,
    responses=problem_responses(400, 409, 413) | {201: {"description": "Created", "links": LINKS}},
)
def create_report(body: ReportBody, caller: CallerDep, request: Request) -> ReportOut:
    """Create the caller's report for a date (one per date)."""
    with session_for(request) as session:
        return ReportOut.of(service.create_report(session, caller, body.date, body.document()))


@router.post(
    "/import",
    status_code=201,
    responses=problem_responses(409, 413, 415) | {201: {"description": "Created", "links": LINKS}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": (
                "The seed's Markdown, UTF-8, within the limits of docs/api-errors.md "
                "(lines, bullets, nesting, characters); refusals name the line."
            ),
            "content": {
                media: {"schema": {"type": "string", "maxLength": MAX_BODY_BYTES}}
                for media in MARKDOWN_TYPES
            },
        }
    },
)
async def import_report(
    request: Request,
    caller: CallerDep,
    day: Annotated[
        IsoDate | None,
        Query(alias="date", description="The report's date; default today in your time zone."),
    ] = None,
    keep_declared_totals: Annotated[
        QueryBool,
        Query(
            description="Keep a declared week/total above the recorded one as an opening balance."
        ),
    ] = False,
    accept_warnings: Annotated[
        QueryBool,
        Query(
            description=(
                "Save a report whose tasks or study time were not found (else 422 naming "
                "the unrecognised headings); the warnings come back in `warnings`."
            )
        ),
    ] = False,
) -> ImportedReportOut:
    """Import a report in the seed's Markdown; returns it with its study time.

    Parsing, storing and building the answer run in a worker thread, so the
    event loop (and `/healthz`) stays responsive during the largest import.
    """
    text = _markdown_text(request.headers.get("content-type", ""), await request.body())
    return await run_in_threadpool(
        _import, request, caller, text, day, keep_declared_totals, accept_warnings
    )


def _import(
    request: Request, caller: Caller, text: str, day: dt.date | None, keep: bool, accept: bool
) -> ImportedReportOut:
    with session_for(request) as session:
        result = service.import_report(
            session, caller, text, day=day, keep_declared_totals=keep, accept_warnings=accept
        )
        return ImportedReportOut.of_import(result)


def _markdown_text(content_type: str, raw: bytes) -> str:
    media_type = content_type.split(";")[0].strip().lower()
    if media_type not in MARKDOWN_TYPES:
        raise HTTPException(
            415, f"Content-Type {media_type or '(none)'} is not Markdown; send text/markdown"
        )
    try:
        # Not utf-8-sig: a BOM stays in the text (the parser skips it), so the export
        # reproduces it.
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"the body is not UTF-8 (byte {exc.start}); save it as UTF-8") from None


@router.get("/{report_id:int}", response_model=ReportOut, responses=_ERRORS)
def read_report(report_id: ReportId, caller: CallerDep, request: Request) -> Response:
    """A report you wrote, or one of a learner you mentor."""
    with session_for(request) as session:
        value = ReportOut.of(service.get_report(session, caller, report_id))
    return json_answer(value)


@router.put("/{report_id:int}", responses=problem_responses(400, 403, 404, 409, 413))
def replace_report(
    report_id: ReportId, body: ReportBody, caller: CallerDep, request: Request
) -> ReportOut:
    """Replace your report's date and content."""
    with session_for(request) as session:
        report = service.update_report(session, caller, report_id, body.date, body.document())
        return ReportOut.of(report)


@router.delete("/{report_id:int}", status_code=204, responses=problem_responses(403, 404))
def delete_report(report_id: ReportId, caller: CallerDep, request: Request) -> Response:
    """Delete your report, with its feedback."""
    with session_for(request) as session:
        service.delete_report(session, caller, report_id)
    return Response(status_code=204)


EXPORT_FORMAT_HEADER = "Nippo-Export-Format"


@router.get(
    "/{report_id:int}/markdown",
    response_class=Response,
    responses=_ERRORS
    | {
        200: {
            "content": {"text/markdown": {"schema": {"type": "string"}}},
            "headers": {
                EXPORT_FORMAT_HEADER: {
                    "schema": {"type": "string", "enum": ["as-imported", "canonical"]},
                    "description": "`as-imported`: the imported document byte for byte "
                    "(the report is unchanged); `canonical`: the seed's format rendered "
                    "from the stored report.",
                }
            },
        }
    },
)
def export_report(report_id: ReportId, caller: CallerDep, request: Request) -> Response:
    """The report in the seed's Markdown: byte for byte as imported while the report is
    unchanged, else in the seed's canonical format; study time from the database."""
    with session_for(request) as session:
        exported = service.export_markdown(session, caller, report_id)
    form = "as-imported" if exported.as_imported else "canonical"
    return Response(
        exported.text.encode("utf-8"),
        media_type="text/markdown; charset=utf-8",
        headers={EXPORT_FORMAT_HEADER: form},
    )


@router.get("/{report_id:int}/feedback", response_model=list[FeedbackOut], responses=_ERRORS)
def list_feedback(report_id: ReportId, caller: CallerDep, request: Request) -> Response:
    """Feedback on a report (its learner and their mentors)."""
    with connection_for(request) as connection:
        items = service.list_feedback(connection, caller, report_id)
    return json_answer([FeedbackOut.of(item) for item in items])


@router.post(
    "/{report_id:int}/feedback", status_code=201, responses=problem_responses(400, 403, 404, 413)
)
def add_feedback(
    report_id: ReportId, body: FeedbackBody, caller: CallerDep, request: Request
) -> FeedbackOut:
    """Leave feedback on a report of a learner you mentor."""
    with session_for(request) as session:
        return FeedbackOut.of(service.add_feedback(session, caller, report_id, body.body))


__all__ = ["router"]
