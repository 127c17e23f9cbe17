"""A report document to rows and back: tasks and sections in order, notes as JSON trees.

Storing the document faithfully (headings, order, verbatim blocks, language)
is what lets the Markdown export reproduce the import.
"""

from __future__ import annotations

from typing import Any

from nippo.document import DeclaredStudyTime, Note, ReportDocument, Section, SectionKind, Task
from nippo.models import Report, ReportSection, ReportTask


def notes_to_json(notes: list[Note]) -> list[dict[str, Any]]:
    """A bullet tree as JSON: [{"text": ..., "children": [...]}, ...]."""
    return [{"text": note.text, "children": notes_to_json(note.children)} for note in notes]


def notes_from_json(data: list[Any]) -> list[Note]:
    """The inverse of `notes_to_json`."""
    return [Note(item["text"], notes_from_json(item.get("children", []))) for item in data]


def fill_report(report: Report, doc: ReportDocument) -> None:
    """Set a report's columns and children from a document (children must be empty)."""
    report.title = doc.title
    report.language = doc.language
    report.tasks_extra = doc.tasks_extra
    report.declared_today_minutes = doc.study_time.today_minutes
    report.declared_week_minutes = doc.study_time.week_minutes
    report.declared_total_minutes = doc.study_time.total_minutes
    report.tasks = [
        ReportTask(
            position=position,
            title=task.title,
            minutes=task.minutes,
            notes=notes_to_json(task.notes),
        )
        for position, task in enumerate(doc.tasks)
    ]
    report.sections = [
        ReportSection(
            position=position,
            kind=section.kind,
            heading=section.heading,
            notes=notes_to_json(section.notes),
            body=section.body,
        )
        for position, section in enumerate(doc.sections)
    ]


def _kind(value: str) -> SectionKind:
    if value == "learned":
        return "learned"
    if value == "felt":
        return "felt"
    if value == "next":
        return "next"
    return "other"


def document_of(report: Report) -> ReportDocument:
    """The stored document, with the study time it declared when imported."""
    return ReportDocument(
        title=report.title,
        tasks=[Task(t.title, t.minutes, notes_from_json(t.notes)) for t in report.tasks],
        tasks_extra=report.tasks_extra,
        sections=[
            Section(_kind(s.kind), s.heading, notes_from_json(s.notes), s.body)
            for s in report.sections
        ],
        study_time=DeclaredStudyTime(
            report.declared_today_minutes,
            report.declared_week_minutes,
            report.declared_total_minutes,
        ),
        language="en" if report.language == "en" else "ja",
    )


__all__ = ["document_of", "fill_report", "notes_from_json", "notes_to_json"]
