"""The JSON shapes of the HTTP API: request bodies refuse unknown fields, responses are typed.

Every limit comes from `nippo.service.limits` and every character rule from
`nippo.text`, so a body the API accepts is one the service stores, and the
OpenAPI schema states the same limits (lengths, list caps, date range,
character patterns). Input types are strict: `"minutes": false` or a date
given as a number is refused, not coerced.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr

from nippo.document import Note, ReportDocument, Section, Task
from nippo.limits import (
    MAX_FEEDBACK_CHARS,
    MAX_NOTE_CHARS,
    MAX_NOTE_DEPTH,
    MAX_NOTES,
    MAX_NOTES_PER_LIST,
    MAX_SECTIONS,
    MAX_TASKS,
    MAX_TEXT,
    MAX_TIMEZONE,
    MAX_VERBATIM_CHARS,
    MINUTES_PER_DAY,
)
from nippo.markdown import ImportWarning
from nippo.models import Report
from nippo.params import IsoDate
from nippo.service import FeedbackItem, ImportResult, Profile, ReportSummary, StudyTime
from nippo.service.storage import notes_from_json
from nippo.text import MULTI_LINE_PATTERN, SINGLE_LINE_PATTERN, check_storable


def _single_line(value: str) -> str:
    return check_storable(value, multiline=False)


def _multi_line(value: str) -> str:
    return check_storable(value, multiline=True)


_ONE_LINE = "One line: no control characters but TAB, no lone surrogates."
_LINES = "Multi-line: no control characters but TAB, LF and CR, no lone surrogates."

ShortText = Annotated[
    StrictStr,
    Field(
        min_length=1,
        max_length=MAX_TEXT,
        description=f"{_ONE_LINE} Not blank.",
        json_schema_extra={"pattern": SINGLE_LINE_PATTERN},
    ),
    AfterValidator(_single_line),
]
NoteText = Annotated[
    StrictStr,
    Field(
        max_length=MAX_NOTE_CHARS,
        description=_LINES,
        json_schema_extra={"pattern": MULTI_LINE_PATTERN},
    ),
    AfterValidator(_multi_line),
]
VerbatimText = Annotated[
    StrictStr,
    Field(
        max_length=MAX_VERBATIM_CHARS,
        description=f"Markdown kept verbatim. {_LINES}",
        json_schema_extra={"pattern": MULTI_LINE_PATTERN},
    ),
    AfterValidator(_multi_line),
]
FeedbackText = Annotated[
    StrictStr,
    Field(
        min_length=1,
        max_length=MAX_FEEDBACK_CHARS,
        description=f"{_LINES} Not blank.",
        json_schema_extra={"pattern": MULTI_LINE_PATTERN},
    ),
    AfterValidator(_multi_line),
]
_NOTES: Any = Field(
    default_factory=list,
    max_length=MAX_NOTES_PER_LIST,
    description=(
        f"At most {MAX_NOTES_PER_LIST} bullets per list, {MAX_NOTE_DEPTH} levels deep, "
        f"{MAX_NOTES} in a whole report."
    ),
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class NoteBody(_In):
    """A bullet and the bullets nested under it."""

    text: NoteText
    children: list[NoteBody] = _NOTES


class TaskBody(_In):
    """A task worked on."""

    title: ShortText
    minutes: StrictInt = Field(
        ge=0,
        le=MINUTES_PER_DAY,
        description=(
            f"Duration in whole minutes; a report's tasks add up to {MINUTES_PER_DAY} at most."
        ),
    )
    notes: list[NoteBody] = _NOTES


class SectionBody(_In):
    """A section: learned, felt, next steps, or any other heading."""

    kind: Literal["learned", "felt", "next", "other"]
    heading: ShortText
    notes: list[NoteBody] = _NOTES
    body: VerbatimText = Field(
        default="", description="Markdown kept verbatim (not a bullet list)."
    )


class ReportBody(_In):
    """A report to create, or to replace an existing one with.

    Beyond what the schema states: the tasks' minutes add up to a day at most
    (1440), and the date is not after tomorrow in the learner's time zone.
    """

    date: IsoDate
    title: ShortText
    language: Literal["ja", "en"] = "ja"
    tasks: list[TaskBody] = Field(default_factory=list, max_length=MAX_TASKS)
    tasks_extra: VerbatimText = ""
    sections: list[SectionBody] = Field(default_factory=list, max_length=MAX_SECTIONS)

    def document(self) -> ReportDocument:
        """The report as a document (it declares no study time; the database computes it)."""
        return ReportDocument(
            title=self.title,
            tasks=[Task(t.title, t.minutes, _notes(t.notes)) for t in self.tasks],
            tasks_extra=self.tasks_extra,
            sections=[Section(s.kind, s.heading, _notes(s.notes), s.body) for s in self.sections],
            language=self.language,
        )


def _notes(notes: list[NoteBody]) -> list[Note]:
    return [Note(n.text, _notes(n.children)) for n in notes]


class ProfileChange(_In):
    """What a user may change about themselves: their time zone, which decides their "today"."""

    timezone: Annotated[
        StrictStr,
        Field(
            min_length=1,
            max_length=MAX_TIMEZONE,
            pattern=r"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$",
            description="An IANA time zone name such as Asia/Tokyo; an unknown one is 422.",
        ),
    ]


class FeedbackBody(_In):
    """Feedback a mentor leaves on a report."""

    body: FeedbackText


class NoteOut(BaseModel):
    """A bullet and its children."""

    text: str
    children: list[NoteOut]


class TaskOut(BaseModel):
    """A stored task."""

    title: str
    minutes: int
    notes: list[NoteOut]


class SectionOut(BaseModel):
    """A stored section."""

    kind: str
    heading: str
    notes: list[NoteOut]
    body: str


class DeclaredOut(BaseModel):
    """The study time the imported document declared (null where it declared none)."""

    today_minutes: int | None
    week_minutes: int | None
    total_minutes: int | None


class ReportOut(BaseModel):
    """A stored report."""

    id: int
    learner_id: int
    date: dt.date
    title: str
    language: str
    tasks: list[TaskOut]
    tasks_extra: str
    sections: list[SectionOut]
    declared_study_time: DeclaredOut
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, report: Report) -> ReportOut:
        """From the stored row."""
        return cls(
            id=report.id,
            learner_id=report.learner_id,
            date=report.report_date,
            title=report.title,
            language=report.language,
            tasks=[
                TaskOut(title=t.title, minutes=t.minutes, notes=_notes_out(t.notes))
                for t in report.tasks
            ],
            tasks_extra=report.tasks_extra,
            sections=[
                SectionOut(kind=s.kind, heading=s.heading, notes=_notes_out(s.notes), body=s.body)
                for s in report.sections
            ],
            declared_study_time=DeclaredOut(
                today_minutes=report.declared_today_minutes,
                week_minutes=report.declared_week_minutes,
                total_minutes=report.declared_total_minutes,
            ),
            created_at=report.created_at,
            updated_at=report.updated_at,
        )


def _notes_out(data: list[object]) -> list[NoteOut]:
    def convert(note: Note) -> NoteOut:
        return NoteOut(text=note.text, children=[convert(c) for c in note.children])

    return [convert(note) for note in notes_from_json(list(data))]


class StudyTimeOut(BaseModel):
    """A learner's study time on a date, in minutes (weeks start on Monday)."""

    learner_id: int
    date: dt.date
    week_start: dt.date
    today_minutes: int
    week_minutes: int
    total_minutes: int

    @classmethod
    def of(cls, value: StudyTime) -> StudyTimeOut:
        """From the service's value."""
        return cls(
            learner_id=value.learner_id,
            date=value.on,
            week_start=value.week_start,
            today_minutes=value.today_minutes,
            week_minutes=value.week_minutes,
            total_minutes=value.total_minutes,
        )


class OpeningBalanceOut(BaseModel):
    """Minutes added to week and total from a date on, kept from a declared study time."""

    id: int
    effective_date: dt.date
    week_minutes: int
    total_minutes: int
    reason: str


class WarningOut(BaseModel):
    """Something the import did not find, or a heading it did not know (the shape of a
    Problem's `errors` item: a 422 without `accept_warnings=true` lists the same)."""

    loc: list[str | int] = Field(description='["body", "line", n], or ["body"] for the document.')
    msg: str
    type: str = Field(description="`no_tasks`, `no_study_time` or `unrecognized_heading`.")

    @classmethod
    def of(cls, warning: ImportWarning) -> WarningOut:
        """From the parser's warning."""
        loc: list[str | int] = ["body"] if warning.line is None else ["body", "line", warning.line]
        return cls(loc=loc, msg=warning.message, type=warning.kind)


class ImportedReportOut(ReportOut):
    """An imported report with its study time, any opening balance the import recorded, and
    the warnings accepted with `accept_warnings=true` (empty otherwise)."""

    study_time: StudyTimeOut
    opening_balance: OpeningBalanceOut | None
    warnings: list[WarningOut]

    @classmethod
    def of_import(cls, result: ImportResult) -> ImportedReportOut:
        """From the service's result."""
        balance = result.opening_balance
        return cls(
            **ReportOut.of(result.report).model_dump(),
            study_time=StudyTimeOut.of(result.study_time),
            warnings=[WarningOut.of(w) for w in result.warnings],
            opening_balance=None
            if balance is None
            else OpeningBalanceOut(
                id=balance.id,
                effective_date=balance.effective_date,
                week_minutes=balance.week_minutes,
                total_minutes=balance.total_minutes,
                reason=balance.reason,
            ),
        )


class ReportSummaryOut(BaseModel):
    """A report in a listing."""

    id: int
    date: dt.date
    title: str
    task_minutes: int

    @classmethod
    def of(cls, value: ReportSummary) -> ReportSummaryOut:
        """From the service's value."""
        return cls(
            id=value.id, date=value.report_date, title=value.title, task_minutes=value.task_minutes
        )


class FeedbackOut(BaseModel):
    """A mentor's feedback on a report."""

    id: int
    report_id: int
    mentor_id: int
    mentor_name: str
    body: str
    created_at: dt.datetime

    @classmethod
    def of(cls, item: FeedbackItem) -> FeedbackOut:
        """From the service's value."""
        return cls(
            id=item.id,
            report_id=item.report_id,
            mentor_id=item.mentor_id,
            mentor_name=item.mentor_name,
            body=item.body,
            created_at=item.created_at,
        )


class LearnerRef(BaseModel):
    """A learner a mentor is assigned to."""

    id: int
    name: str


class ProfileOut(BaseModel):
    """The calling user."""

    id: int
    name: str
    role: str
    timezone: str
    learners: list[LearnerRef]

    @classmethod
    def of(cls, value: Profile) -> ProfileOut:
        """From the service's value."""
        return cls(
            id=value.id,
            name=value.name,
            role=value.role,
            timezone=value.timezone,
            learners=[LearnerRef(id=i, name=n) for i, n in value.learners],
        )


class Readiness(BaseModel):
    """Whether the service can take traffic."""

    status: Literal["ok", "unavailable"]
    database: str
    revision: str | None = None
    head: str | None = None


__all__ = [
    "FeedbackBody",
    "FeedbackOut",
    "ImportedReportOut",
    "NoteBody",
    "OpeningBalanceOut",
    "ProfileChange",
    "ProfileOut",
    "Readiness",
    "ReportBody",
    "ReportOut",
    "ReportSummaryOut",
    "SectionBody",
    "StudyTimeOut",
    "TaskBody",
    "WarningOut",
]
