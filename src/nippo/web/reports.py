"""Report pages: read one (with feedback and a Markdown download), write and edit one as a
form, leave feedback. Every rule is the service's; refusals show beside the field."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dbtier.errors import UsageError
from nippo import service
from nippo.api.deps import SessionDep
from nippo.api.reports import EXPORT_FORMAT_HEADER
from nippo.errors import Conflict
from nippo.models import Report
from nippo.params import RowId
from nippo.schemas import ReportBody
from nippo.service.storage import document_of
from nippo.web.account import CheckedForm
from nippo.web.deps import Viewer, ViewerDep, today_in
from nippo.web.rendering import render
from nippo.web.report_form import KINDS, ReportForm

router = APIRouter()


def _report_page(
    request: Request,
    session: Session,
    me: Viewer,
    report: Report,
    *,
    status: int = 200,
    feedback_text: str = "",
    feedback_error: str = "",
) -> Response:
    figures = service.study_time(session, report.learner_id, report.report_date, caller=me.caller)
    return render(
        request,
        "report.html",
        status=status,
        me=me,
        report=report,
        doc=document_of(report),
        figures=figures,
        feedback=service.list_feedback(session, me.caller, report.id),
        own=report.learner_id == me.profile.id,
        feedback_text=feedback_text,
        feedback_error=feedback_error,
    )


@router.get("/reports/{report_id:int}", response_class=HTMLResponse)
def report_page(request: Request, report_id: RowId, me: ViewerDep, session: SessionDep) -> Response:
    """A report, its study time on its date, its feedback."""
    report = service.get_report(session, me.caller, report_id)
    return _report_page(request, session, me, report)


@router.get("/reports/{report_id:int}/markdown")
def download(report_id: RowId, me: ViewerDep, session: SessionDep) -> Response:
    """The report in the seed's Markdown (the API's export: as imported while unchanged,
    else canonical), as a file."""
    report = service.get_report(session, me.caller, report_id)
    exported = service.export_markdown(session, me.caller, report_id)
    name = f"nippo-{report.report_date.isoformat()}.md"
    return Response(
        exported.text,
        media_type="text/markdown; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            EXPORT_FORMAT_HEADER: "as-imported" if exported.as_imported else "canonical",
        },
    )


@router.post("/reports/{report_id:int}/feedback", response_class=HTMLResponse)
def add_feedback(
    request: Request, report_id: RowId, form: CheckedForm, me: ViewerDep, session: SessionDep
) -> Response:
    """A mentor's feedback; a refusal shows beside the text box."""
    body = form.get("body")
    text = body.replace("\r\n", "\n") if isinstance(body, str) else ""
    try:
        service.add_feedback(session, me.caller, report_id, text)
    except UsageError as exc:
        if type(exc) is not UsageError:  # NotFound, Forbidden: the error page
            raise
        report = service.get_report(session, me.caller, report_id)
        return _report_page(
            request, session, me, report, status=422, feedback_text=text, feedback_error=str(exc)
        )
    return RedirectResponse(f"/reports/{report_id}#feedback", status_code=303)


def _form_page(
    request: Request, me: Viewer, form: ReportForm, action: str, *, status: int = 200
) -> Response:
    return render(
        request, "report_form.html", status=status, me=me, form=form, action=action, kinds=KINDS
    )


@router.get("/reports/new", response_class=HTMLResponse)
def new_report(request: Request, me: ViewerDep) -> Response:
    """An empty report for today (in the learner's time zone)."""
    form = ReportForm.blank(today_in(me.profile.timezone), "ja")
    return _form_page(request, me, form, "/reports/new")


@router.post("/reports/new", response_class=HTMLResponse)
def create_report(
    request: Request, form: CheckedForm, me: ViewerDep, session: SessionDep
) -> Response:
    """Store the form as a new report, or show it again with what to change."""
    values = ReportForm.posted(form)
    report = _saved(
        values, lambda body: service.create_report(session, me.caller, body.date, body.document())
    )
    if report is None:
        return _form_page(request, me, values, "/reports/new", status=422)
    return RedirectResponse(f"/reports/{report.id}", status_code=303)


@router.get("/reports/{report_id:int}/edit", response_class=HTMLResponse)
def edit_report(request: Request, report_id: RowId, me: ViewerDep, session: SessionDep) -> Response:
    """A stored report as a form."""
    report = service.get_report(session, me.caller, report_id)
    form = ReportForm.of_document(report.report_date, document_of(report))
    return _form_page(request, me, form, f"/reports/{report_id}/edit")


@router.post("/reports/{report_id:int}/edit", response_class=HTMLResponse)
def update_report(
    request: Request, report_id: RowId, form: CheckedForm, me: ViewerDep, session: SessionDep
) -> Response:
    """Replace the report with the form, or show it again with what to change."""
    values = ReportForm.posted(form)
    report = _saved(
        values,
        lambda body: service.update_report(
            session, me.caller, report_id, body.date, body.document()
        ),
    )
    if report is None:
        return _form_page(request, me, values, f"/reports/{report_id}/edit", status=422)
    return RedirectResponse(f"/reports/{report_id}", status_code=303)


def _saved(values: ReportForm, store: Callable[[ReportBody], Report]) -> Report | None:
    """The report `store` saved from the checked form, or None with the refusal placed."""
    body = values.checked()
    if body is None:
        return None
    try:
        return store(body)
    except UsageError as exc:
        if type(exc) not in (UsageError, Conflict):  # not found, not yours: the error page
            raise
        _place_refusal(values, exc)
        return None


def _place_refusal(values: ReportForm, exc: UsageError) -> None:
    message = str(exc)
    if isinstance(exc, Conflict) or message.startswith("date"):
        values.errors["date"] = message
    else:
        values.problems.append(message)


__all__ = ["router"]
