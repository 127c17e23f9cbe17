"""Markdown import and export of reports, with the declared study time checked.

Import: parse the seed's Markdown, store the report, then compare what the
document declares with what the database computes. Today must equal the sum
of the task durations. A declared week or total larger than recorded is kept,
when asked, as an opening-balance adjustment (a learner moving from Markdown
diaries keeps their totals); otherwise any difference is refused, naming both
figures. Any refusal rolls the whole import back.

Export: the document as it was imported, byte for byte, while the report is
unchanged (`nippo.service.sources`); otherwise the stored document in the
seed's canonical format, its study-time lines filled with the database's
figures (the lines the document declared; all three when it declared none).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from dbtier.errors import UsageError
from dbtier.logs import get_logger
from nippo.auth import Caller
from nippo.clock import today_in
from nippo.document import DeclaredStudyTime, ReportDocument
from nippo.durations import format_duration
from nippo.markdown import ImportWarning, ParsedReport, read_report, render_report
from nippo.models import Report, StudyTimeAdjustment
from nippo.service.limits import check_document
from nippo.service.reports import add_report, get_report, require_learner
from nippo.service.sources import keep_source, source_if_unchanged
from nippo.service.storage import document_of
from nippo.service.unit_of_work import retried, writing
from nippo.study_time import StudyTime, study_time

log = get_logger("nippo.import")


@dataclass(frozen=True)
class ImportResult:
    """The stored report, its study time, the opening balance recorded (if any), the warnings
    the caller accepted."""

    report: Report
    study_time: StudyTime
    opening_balance: StudyTimeAdjustment | None
    warnings: tuple[ImportWarning, ...] = ()


class UnacceptedWarnings(UsageError):
    """The document has no tasks or no study time nippo could find, and the caller did not
    accept saving it so; `warnings` names the unrecognised headings by line."""

    def __init__(self, warnings: tuple[ImportWarning, ...]) -> None:
        self.warnings = warnings
        missing = [w.message for w in warnings if w.kind != "unrecognized_heading"]
        unknown = [
            f"line {w.line} '{w.heading}'" for w in warnings if w.kind == "unrecognized_heading"
        ]
        super().__init__(
            "the report was not saved: "
            + "; ".join(missing)
            + (f"; headings not recognised: {', '.join(unknown)}" if unknown else "")
            + ". Rename them, or import with ?accept_warnings=true to save the report as it is"
        )


def _d(minutes: int) -> str:
    return format_duration(minutes, spaced=True)


def check_declared_today(doc: ReportDocument) -> None:
    """Today must equal the sum of the task durations."""
    declared = doc.study_time.today_minutes
    if declared is not None and declared != doc.task_minutes:
        parts = " + ".join(format_duration(task.minutes) for task in doc.tasks) or "no tasks"
        raise UsageError(
            f"study time: today is declared as {_d(declared)} but the tasks add up to "
            f"{_d(doc.task_minutes)} ({parts}); correct one of them"
        )


def _check_order(declared: DeclaredStudyTime) -> None:
    named = [
        ("today", declared.today_minutes),
        ("week", declared.week_minutes),
        ("total", declared.total_minutes),
    ]
    present = [(name, value) for name, value in named if value is not None]
    for (small, a), (large, b) in itertools.pairwise(present):
        if a > b:
            raise UsageError(f"study time: {small} {_d(a)} is more than {large} {_d(b)}")


def _opening_delta(name: str, declared: int | None, recorded: int, day: dt.date, keep: bool) -> int:
    if declared is None or declared == recorded:
        return 0
    if declared < recorded:
        raise UsageError(
            f"study time: {name} is declared as {_d(declared)} but {_d(recorded)} is recorded "
            f"up to {day.isoformat()}; correct the document's {name}"
        )
    if not keep:
        raise UsageError(
            f"study time: {name} is declared as {_d(declared)} but only {_d(recorded)} is "
            f"recorded up to {day.isoformat()}; import with ?keep_declared_totals=true to keep "
            "the difference as an opening balance"
        )
    return declared - recorded


def _record_opening_balance(
    session: Session, report: Report, recorded: StudyTime, keep: bool
) -> StudyTimeAdjustment | None:
    declared = DeclaredStudyTime(
        report.declared_today_minutes, report.declared_week_minutes, report.declared_total_minutes
    )
    day = report.report_date
    week = _opening_delta("week", declared.week_minutes, recorded.week_minutes, day, keep)
    total = _opening_delta("total", declared.total_minutes, recorded.total_minutes, day, keep)
    if not (week or total):
        return None
    adjustment = StudyTimeAdjustment(
        learner_id=report.learner_id,
        effective_date=day,
        week_minutes=week,
        total_minutes=total,
        reason=f"opening balance declared by the report imported for {day.isoformat()}",
    )
    session.add(adjustment)
    session.flush()
    return adjustment


def preview_import(text: str) -> ParsedReport:
    """What an import would store, checked as the import checks it, and its warnings.

    Everything but the database's part (the date, the declared week and total
    against what is recorded): `MarkdownError` or `UsageError` for what the
    import would refuse.
    """
    parsed = _read_checked(text)
    check_document(parsed.document)
    return parsed


def _read_checked(text: str) -> ParsedReport:
    parsed = read_report(text)
    check_declared_today(parsed.document)
    _check_order(parsed.document.study_time)
    return parsed


@retried
def import_report(
    session: Session,
    caller: Caller,
    text: str,
    *,
    day: dt.date | None = None,
    keep_declared_totals: bool = False,
    accept_warnings: bool = False,
) -> ImportResult:
    """Store a Markdown report for a day (default: today in the learner's time zone).

    A document whose tasks or study time were not found is refused with
    `UnacceptedWarnings` unless `accept_warnings`; then it is stored and the
    warnings come back in the result.
    """
    parsed = _read_checked(text)  # check_document runs in add_report
    if parsed.warnings and not accept_warnings:
        raise UnacceptedWarnings(parsed.warnings)
    doc = parsed.document
    with writing(session, conflict="a report for that date already exists"):
        user = require_learner(session, caller)
        day = day or today_in(user.timezone)
        report = add_report(session, user, day, doc)
        keep_source(session, report, text, doc)
        recorded = study_time(session, user.id, day)
        adjustment = _record_opening_balance(session, report, recorded, keep_declared_totals)
        if adjustment is not None:
            recorded = study_time(session, user.id, day)
    log.info(
        "report imported",
        learner_id=user.id,
        report_id=report.id,
        date=day.isoformat(),
        today_minutes=recorded.today_minutes,
        opening_balance_id=None if adjustment is None else adjustment.id,
        warnings=[w.kind for w in parsed.warnings],
    )
    return ImportResult(report, recorded, adjustment, parsed.warnings)


def export_document(report: Report, figures: StudyTime) -> ReportDocument:
    """The stored document with its study-time lines filled from the database."""
    return _with_figures(document_of(report), figures)


def _with_figures(doc: ReportDocument, figures: StudyTime) -> ReportDocument:
    declared = doc.study_time
    show_all = declared == DeclaredStudyTime()
    doc.study_time = replace(
        declared,
        today_minutes=figures.today_minutes
        if show_all or declared.today_minutes is not None
        else None,
        week_minutes=figures.week_minutes
        if show_all or declared.week_minutes is not None
        else None,
        total_minutes=figures.total_minutes
        if show_all or declared.total_minutes is not None
        else None,
    )
    return doc


@dataclass(frozen=True)
class ExportedMarkdown:
    """A report's Markdown, and whether it is the imported document itself (byte for byte)
    or the canonical rendering of the stored report."""

    text: str
    as_imported: bool


def export_markdown(session: Session, caller: Caller, report_id: int) -> ExportedMarkdown:
    """A report the caller may see, as imported while unchanged, else in the canonical format."""
    report = get_report(session, caller, report_id)
    figures = study_time(session, report.learner_id, report.report_date)
    stored = document_of(report)
    source = source_if_unchanged(session, report, stored, figures)
    if source is not None:
        return ExportedMarkdown(source, as_imported=True)
    return ExportedMarkdown(render_report(_with_figures(stored, figures)), as_imported=False)


def export_report(session: Session, caller: Caller, report_id: int) -> str:
    """A report the caller may see, as the seed's Markdown (see `export_markdown`)."""
    return export_markdown(session, caller, report_id).text


__all__ = [
    "ExportedMarkdown",
    "ImportResult",
    "UnacceptedWarnings",
    "check_declared_today",
    "export_document",
    "export_markdown",
    "export_report",
    "import_report",
    "preview_import",
]
