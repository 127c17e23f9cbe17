"""Markdown import and export of reports, with the declared study time checked.

Import: parse the seed's Markdown, store the report, then compare what the
document declares with what the database computes. Today must equal the sum
of the task durations. A declared week or total larger than recorded is kept,
when asked, as an opening-balance adjustment (a learner moving from Markdown
diaries keeps their totals); otherwise any difference is refused, naming both
figures. Any refusal rolls the whole import back.

Export: the stored document, its study-time lines filled with the database's
figures (the lines the document declared; all three when it declared none).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dbtier.errors import UsageError
from dbtier.logs import get_logger
from nippo.auth import Caller
from nippo.document import DeclaredStudyTime, ReportDocument
from nippo.durations import format_duration
from nippo.markdown import parse_report, render_report
from nippo.models import Report, StudyTimeAdjustment
from nippo.service.reports import add_report, get_report, require_learner
from nippo.service.storage import document_of
from nippo.service.unit_of_work import retried, writing
from nippo.study_time import StudyTime, study_time

log = get_logger("nippo.import")


@dataclass(frozen=True)
class ImportResult:
    """The stored report, its study time, and the opening balance recorded (if any)."""

    report: Report
    study_time: StudyTime
    opening_balance: StudyTimeAdjustment | None


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


@retried
def import_report(
    session: Session,
    caller: Caller,
    text: str,
    *,
    day: dt.date | None = None,
    keep_declared_totals: bool = False,
) -> ImportResult:
    """Store a Markdown report for a day (default: today in the learner's time zone)."""
    doc = parse_report(text)
    check_declared_today(doc)
    _check_order(doc.study_time)
    with writing(session, conflict="a report for that date already exists"):
        user = require_learner(session, caller)
        day = day or dt.datetime.now(ZoneInfo(user.timezone)).date()
        report = add_report(session, user, day, doc)
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
    )
    return ImportResult(report, recorded, adjustment)


def export_document(report: Report, figures: StudyTime) -> ReportDocument:
    """The stored document with its study-time lines filled from the database."""
    doc = document_of(report)
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


def export_report(session: Session, caller: Caller, report_id: int) -> str:
    """A report the caller may see, as the seed's Markdown."""
    report = get_report(session, caller, report_id)
    figures = study_time(session, report.learner_id, report.report_date)
    return render_report(export_document(report, figures))


__all__ = [
    "ImportResult",
    "check_declared_today",
    "export_document",
    "export_report",
    "import_report",
]
