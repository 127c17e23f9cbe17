"""What a report may hold, checked before anything is written.

The JSON API enforces the same limits through its pydantic models; this module
checks documents that come from Markdown, and the dates every entry point takes.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from dbtier.errors import UsageError
from nippo.document import Note, ReportDocument

MAX_BODY_BYTES = 1024 * 1024
MAX_TEXT = 500  # titles, headings
MAX_TASKS = 100
MAX_SECTIONS = 100
MAX_NOTE_DEPTH = 16
MINUTES_PER_DAY = 24 * 60
EARLIEST_DATE = dt.date(1970, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)
MAX_RANGE_DAYS = 366


def check_date(value: dt.date, *, name: str) -> None:
    """A date the service stores or queries: within 1970-01-01 .. 2999-12-31."""
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise UsageError(
            f"{name}: {value.isoformat()} is out of range; "
            f"use a date from {EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()}"
        )


def check_report_date(value: dt.date, timezone: str, *, name: str = "date") -> None:
    """A report's date: in range and not after tomorrow in the learner's time zone."""
    check_date(value, name=name)
    tomorrow = dt.datetime.now(ZoneInfo(timezone)).date() + dt.timedelta(days=1)
    if value > tomorrow:
        raise UsageError(
            f"{name}: {value.isoformat()} is in the future for a learner in {timezone}; "
            "a report is written on or after its day"
        )


def check_range(start: dt.date, end: dt.date) -> None:
    """A listing range: ordered, in range, at most a year long."""
    check_date(start, name="from")
    check_date(end, name="to")
    if start > end:
        raise UsageError(f"from {start.isoformat()} is after to {end.isoformat()}; swap them")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise UsageError(
            f"from {start.isoformat()} to {end.isoformat()} spans more than "
            f"{MAX_RANGE_DAYS} days; ask for a year or less at a time"
        )


def _check_text(value: str, where: str, *, required: bool = True) -> None:
    if required and not value.strip():
        raise UsageError(f"{where} is empty")
    if len(value) > MAX_TEXT:
        raise UsageError(f"{where} is {len(value)} characters long; the limit is {MAX_TEXT}")


def _check_notes(notes: list[Note], where: str, depth: int = 1) -> None:
    if notes and depth > MAX_NOTE_DEPTH:
        raise UsageError(f"{where}: bullets nest deeper than {MAX_NOTE_DEPTH} levels")
    for note in notes:
        _check_notes(note.children, where, depth + 1)


def check_document(doc: ReportDocument) -> None:
    """Sizes and durations a stored report may have; the message names the place."""
    _check_text(doc.title, "the title")
    if len(doc.tasks) > MAX_TASKS:
        raise UsageError(f"{len(doc.tasks)} tasks; a report holds at most {MAX_TASKS}")
    if len(doc.sections) > MAX_SECTIONS:
        raise UsageError(f"{len(doc.sections)} sections; a report holds at most {MAX_SECTIONS}")
    for number, task in enumerate(doc.tasks, start=1):
        where = f"task {number} ({task.title[:40]!r})"
        _check_text(task.title, f"{where} title")
        if not 0 <= task.minutes <= MINUTES_PER_DAY:
            raise UsageError(f"{where}: {task.minutes} minutes is not within one day")
        _check_notes(task.notes, where)
    if doc.task_minutes > MINUTES_PER_DAY:
        raise UsageError(
            f"the tasks add up to {doc.task_minutes} minutes, more than a day ({MINUTES_PER_DAY})"
        )
    for number, section in enumerate(doc.sections, start=1):
        where = f"section {number} ({section.heading[:40]!r})"
        _check_text(section.heading, f"{where} heading")
        _check_notes(section.notes, where)


__all__ = [
    "EARLIEST_DATE",
    "LATEST_DATE",
    "MAX_BODY_BYTES",
    "MAX_RANGE_DAYS",
    "MAX_TEXT",
    "MINUTES_PER_DAY",
    "check_date",
    "check_document",
    "check_range",
    "check_report_date",
]
