"""What a report may hold, checked before anything is written: each limit declared once.

The numbers are declared once in `nippo.limits` (re-exported here); the JSON
API's pydantic models (`nippo.schemas`) and the Markdown import
(`nippo.markdown`) import the same ones. `check_document` checks every
document the service stores, whichever way it came, and the dates every entry
point takes. Which characters a string may hold is `nippo.text`'s.
"""

from __future__ import annotations

import datetime as dt

from dbtier.errors import UsageError
from nippo.clock import today_in
from nippo.document import Note, ReportDocument
from nippo.limits import (
    EARLIEST_DATE,
    LATEST_DATE,
    MAX_BODY_BYTES,
    MAX_FEEDBACK_CHARS,
    MAX_LINE_CHARS,
    MAX_NOTE_CHARS,
    MAX_NOTE_DEPTH,
    MAX_NOTES,
    MAX_NOTES_PER_LIST,
    MAX_RANGE_DAYS,
    MAX_SECTIONS,
    MAX_TASKS,
    MAX_TEXT,
    MAX_VERBATIM_CHARS,
    MINUTES_PER_DAY,
)
from nippo.text import first_unstorable


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
    tomorrow = today_in(timezone) + dt.timedelta(days=1)
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


def _check_chars(value: str, where: str, *, multiline: bool) -> None:
    problem = first_unstorable(value, multiline=multiline)
    if problem is not None:
        raise UsageError(f"{where}: {problem}")


def _check_text(value: str, where: str, *, limit: int = MAX_TEXT, multiline: bool = False) -> None:
    if not multiline and not value.strip():
        raise UsageError(f"{where} is empty")
    if len(value) > limit:
        raise UsageError(f"{where} is {len(value)} characters long; the limit is {limit}")
    _check_chars(value, where, multiline=multiline)


def _count_notes(notes: list[Note], where: str, depth: int = 1) -> int:
    if not notes:
        return 0
    if depth > MAX_NOTE_DEPTH:
        raise UsageError(f"{where}: bullets nest deeper than {MAX_NOTE_DEPTH} levels")
    if len(notes) > MAX_NOTES_PER_LIST:
        raise UsageError(
            f"{where}: {len(notes)} bullets in one list; the limit is {MAX_NOTES_PER_LIST}"
        )
    count = len(notes)
    for note in notes:
        _check_text(note.text, f"{where}: a bullet", limit=MAX_NOTE_CHARS, multiline=True)
        count += _count_notes(note.children, where, depth + 1)
    return count


def check_document(doc: ReportDocument) -> None:
    """Sizes, characters and durations a stored report may have; the message names the place."""
    _check_text(doc.title, "the title")
    _check_text(doc.tasks_extra, "the tasks' extra text", limit=MAX_VERBATIM_CHARS, multiline=True)
    notes = 0
    if len(doc.tasks) > MAX_TASKS:
        raise UsageError(f"{len(doc.tasks)} tasks; a report holds at most {MAX_TASKS}")
    if len(doc.sections) > MAX_SECTIONS:
        raise UsageError(f"{len(doc.sections)} sections; a report holds at most {MAX_SECTIONS}")
    for number, task in enumerate(doc.tasks, start=1):
        where = f"task {number} ({task.title[:40]!r})"
        _check_text(task.title, f"{where} title")
        if not 0 <= task.minutes <= MINUTES_PER_DAY:
            raise UsageError(f"{where}: {task.minutes} minutes is not within one day")
        notes += _count_notes(task.notes, where)
    if doc.task_minutes > MINUTES_PER_DAY:
        raise UsageError(
            f"the tasks add up to {doc.task_minutes} minutes, more than a day ({MINUTES_PER_DAY})"
        )
    for number, section in enumerate(doc.sections, start=1):
        where = f"section {number} ({section.heading[:40]!r})"
        if section.heading or section.kind != "other":  # the intro section has no heading
            _check_text(section.heading, f"{where} heading")
        _check_text(section.body, f"{where} body", limit=MAX_VERBATIM_CHARS, multiline=True)
        notes += _count_notes(section.notes, where)
    if notes > MAX_NOTES:
        raise UsageError(f"{notes} bullets in the report; the limit is {MAX_NOTES}")


__all__ = [
    "EARLIEST_DATE",
    "LATEST_DATE",
    "MAX_BODY_BYTES",
    "MAX_FEEDBACK_CHARS",
    "MAX_LINE_CHARS",
    "MAX_NOTES",
    "MAX_NOTES_PER_LIST",
    "MAX_NOTE_CHARS",
    "MAX_NOTE_DEPTH",
    "MAX_RANGE_DAYS",
    "MAX_SECTIONS",
    "MAX_TASKS",
    "MAX_TEXT",
    "MAX_VERBATIM_CHARS",
    "MINUTES_PER_DAY",
    "check_date",
    "check_document",
    "check_range",
    "check_report_date",
]
