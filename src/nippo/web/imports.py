"""Importing a Markdown report: paste or upload, see a preview, then save.

The preview is the importer's own `service.preview_import` (parser, checks and
warnings: no tasks or no study time found, headings not recognised) and stores
nothing; saving sends the same text to the same `service.import_report` the
API's `POST /reports/import` calls, with `accept_warnings` when the learner ticks
the box the preview shows beside the warnings, so a refusal there (a date taken,
a declared total above the recorded one, warnings not accepted) reads the same
and shows beside the field it concerns.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import FormData, UploadFile

from dbtier.errors import UsageError
from nippo import service
from nippo.api.deps import SessionDep
from nippo.errors import Conflict
from nippo.markdown import ParsedReport
from nippo.params import IsoDate
from nippo.service import UnacceptedWarnings
from nippo.web.account import CheckedForm
from nippo.web.deps import Viewer, ViewerDep
from nippo.web.rendering import render

router = APIRouter()
_DATE: TypeAdapter[dt.date] = TypeAdapter(IsoDate)


@dataclass
class ImportForm:
    """What was pasted or uploaded, the date and the opening-balance choice."""

    markdown: str = ""
    date: str = ""
    keep: bool = False
    accept: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    def day(self) -> dt.date | None:
        """The date, None for today (errors["date"] when it is not one)."""
        if not self.date.strip():
            return None
        try:
            return _DATE.validate_python(self.date.strip())
        except ValidationError as exc:
            self.errors["date"] = exc.errors()[0]["msg"]
            return None


def _fields(form: FormData) -> ImportForm:
    # The preview carries the text as base64 (`source`), so the import gets its exact
    # bytes: a textarea would turn line ends into CRLF and drop a leading newline.
    source = form.get("source")
    if isinstance(source, str) and source:
        try:
            text = base64.b64decode(source, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise UsageError("the previewed text was damaged; paste it again") from None
    else:
        pasted = form.get("markdown")
        text = pasted.replace("\r\n", "\n") if isinstance(pasted, str) else ""
    return ImportForm(
        text,
        str(form.get("date") or ""),
        keep=form.get("keep") == "true",
        accept=form.get("accept") == "true",
    )


async def _posted(form: FormData) -> ImportForm:
    values = _fields(form)
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read()
        try:
            values.markdown = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            values.errors["file"] = f"the file is not UTF-8 (byte {exc.start}); save it as UTF-8"
    return values


def _form_page(request: Request, me: Viewer, values: ImportForm, status: int = 200) -> Response:
    return render(request, "import.html", status=status, me=me, form=values)


@router.get("/reports/import", response_class=HTMLResponse)
def import_page(request: Request, me: ViewerDep) -> Response:
    """Paste or choose a file."""
    return _form_page(request, me, ImportForm())


@router.post("/reports/import/preview", response_class=HTMLResponse)
async def preview(request: Request, form: CheckedForm, me: ViewerDep) -> Response:
    """The report as it would be stored (nothing is stored yet); "back" edits it again."""
    values = await _posted(form)
    if form.get("back"):
        return _form_page(request, me, values)
    values.day()
    parsed: ParsedReport | None = None
    if not values.errors:
        try:
            parsed = service.preview_import(values.markdown)
        except UsageError as exc:
            values.errors["markdown"] = str(exc)
    if parsed is None or values.errors:
        return _form_page(request, me, values, status=422)
    source = base64.b64encode(values.markdown.encode("utf-8")).decode("ascii")
    return render(
        request,
        "import_preview.html",
        me=me,
        form=values,
        doc=parsed.document,
        warnings=parsed.warnings,
        source=source,
    )


@router.post("/reports/import", response_class=HTMLResponse)
def save(request: Request, form: CheckedForm, me: ViewerDep, session: SessionDep) -> Response:
    """Import the previewed text; a refusal goes back to the form, beside its field."""
    values = _fields(form)
    day = values.day()
    if not values.errors:
        try:
            result = service.import_report(
                session,
                me.caller,
                values.markdown,
                day=day,
                keep_declared_totals=values.keep,
                accept_warnings=values.accept,
            )
        except UsageError as exc:
            if type(exc) not in (UsageError, Conflict, UnacceptedWarnings):
                raise
            where = (
                "date" if isinstance(exc, Conflict) or str(exc).startswith("date") else "markdown"
            )
            values.errors[where] = str(exc)
        else:
            return RedirectResponse(f"/reports/{result.report.id}", status_code=303)
    return _form_page(request, me, values, status=422)


__all__ = ["router"]
