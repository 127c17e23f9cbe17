"""A report as an HTML form and back, checked by the API's own request schema.

The form's fields become the JSON body the API takes (`nippo.schemas.ReportBody`,
strict, with every limit and character rule), so a form is accepted exactly when
the same report sent to the API would be; each problem is shown beside its field.
Durations are written as the seed writes them (`1h30m`) and read by
`nippo.durations`. Notes are one bullet a line, nested by two spaces; a line
indented under a bullet without a `- ` of its own continues that bullet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from nippo.document import Language, Note, ReportDocument
from nippo.durations import DurationError, format_duration, parse_duration
from nippo.markdown import canonical_heading
from nippo.schemas import ReportBody

KINDS = ("learned", "felt", "next", "other")
BLANK_TASKS = 2  # empty task rows offered below the filled ones (no JavaScript to add rows)
_INDENT = "  "


@dataclass
class TaskRow:
    """One task's fields."""

    title: str = ""
    duration: str = ""
    notes: str = ""

    @property
    def blank(self) -> bool:
        """Nothing typed: the row is ignored."""
        return not (self.title.strip() or self.duration.strip() or self.notes.strip())


@dataclass
class SectionRow:
    """One section's fields."""

    kind: str
    heading: str
    notes: str = ""
    body: str = ""


@dataclass
class ReportForm:
    """The form's values and what is wrong with them (field name → message)."""

    date: str
    title: str = ""
    language: str = "ja"
    tasks: list[TaskRow] = field(default_factory=list)
    tasks_extra: str = ""
    sections: list[SectionRow] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def blank(cls, day: dt.date, language: str) -> ReportForm:
        """A new report: empty task rows and the seed's three sections."""
        lang: Language = "en" if language == "en" else "ja"
        sections = [SectionRow(k, canonical_heading(k, lang)) for k in ("learned", "felt", "next")]
        return cls(day.isoformat(), language=lang, tasks=_padded([]), sections=sections)

    @classmethod
    def of_document(cls, day: dt.date, doc: ReportDocument) -> ReportForm:
        """A stored report's fields."""
        tasks = [
            TaskRow(t.title, format_duration(t.minutes), notes_text(t.notes)) for t in doc.tasks
        ]
        sections = [
            SectionRow(s.kind, s.heading, notes_text(s.notes), s.body) for s in doc.sections
        ]
        return cls(
            day.isoformat(), doc.title, doc.language, _padded(tasks), doc.tasks_extra, sections
        )

    @classmethod
    def posted(cls, form: FormData) -> ReportForm:
        """The fields as posted."""

        def text(name: str) -> str:
            value = form.get(name)
            return value if isinstance(value, str) else ""

        tasks: list[TaskRow] = []
        while f"task-{len(tasks)}-title" in form:
            i = len(tasks)
            tasks.append(
                TaskRow(
                    text(f"task-{i}-title"), text(f"task-{i}-duration"), text(f"task-{i}-notes")
                )
            )
        sections: list[SectionRow] = []
        while f"section-{len(sections)}-kind" in form:
            i = len(sections)
            sections.append(
                SectionRow(
                    text(f"section-{i}-kind"),
                    text(f"section-{i}-heading"),
                    text(f"section-{i}-notes"),
                    text(f"section-{i}-body"),
                )
            )
        return cls(
            text("date"),
            text("title"),
            text("language"),
            tasks,
            text("tasks_extra"),
            sections,
        )

    def checked(self) -> ReportBody | None:
        """The API's request body, or None with `errors` filled."""
        rows = [i for i, row in enumerate(self.tasks) if not row.blank]
        tasks: list[dict[str, Any]] = []
        for i in rows:
            row = self.tasks[i]
            try:
                minutes = parse_duration(row.duration)
            except DurationError as exc:
                self.errors[f"task-{i}-duration"] = str(exc)
                minutes = 0
            tasks.append(
                {"title": row.title.strip(), "minutes": minutes, "notes": notes_json(row.notes)}
            )
        body = {
            "date": self.date,
            "title": self.title.strip(),
            "language": self.language,
            "tasks": tasks,
            "tasks_extra": _lf(self.tasks_extra),
            "sections": [
                {
                    "kind": s.kind,
                    "heading": s.heading.strip(),
                    "notes": notes_json(s.notes),
                    "body": _lf(s.body),
                }
                for s in self.sections
                if s.notes.strip() or s.body.strip()  # a section left empty is not written
            ],
        }
        try:
            checked = ReportBody.model_validate(body)
        except ValidationError as exc:
            kept = [i for i, s in enumerate(self.sections) if s.notes.strip() or s.body.strip()]
            for problem in exc.errors():
                self._place(tuple(problem["loc"]), problem["msg"], rows, kept)
            return None
        return None if self.errors else checked

    def _place(
        self, loc: tuple[int | str, ...], message: str, rows: list[int], sections: list[int]
    ) -> None:
        name = field_of(loc, rows, sections)
        if name is None:
            self.problems.append(f"{' → '.join(map(str, loc))}: {message}")
        else:
            self.errors.setdefault(name, message)


def field_of(loc: tuple[int | str, ...], rows: list[int], sections: list[int]) -> str | None:
    """The form field a schema error's location points at (None: the whole form)."""
    match loc:
        case ("date" | "title" | "language" | "tasks_extra" as name, *_):
            return str(name)
        case ("tasks", int(i), "minutes", *_):
            return f"task-{rows[i]}-duration"
        case ("tasks", int(i), "title" | "notes" as part, *_):
            return f"task-{rows[i]}-{part}"
        case ("sections", int(i), "kind" | "heading" | "notes" | "body" as part, *_):
            return f"section-{sections[i]}-{part}"
    return None


def _padded(tasks: list[TaskRow]) -> list[TaskRow]:
    return tasks + [TaskRow() for _ in range(BLANK_TASKS + (not tasks))]


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def notes_text(notes: list[Note], depth: int = 0) -> str:
    """A bullet tree as the textarea shows it."""
    lines: list[str] = []
    for note in notes:
        first, *rest = note.text.split("\n") or [""]
        lines.append(f"{_INDENT * depth}- {first}")
        lines += [f"{_INDENT * (depth + 1)}{line}" for line in rest]
        if note.children:
            lines.append(notes_text(note.children, depth + 1))
    return "\n".join(lines)


def notes_json(text: str) -> list[dict[str, Any]]:
    """The textarea's bullets as the API's note trees."""
    roots: list[dict[str, Any]] = []
    stack: list[dict[str, Any]] = []  # the last note at each depth
    for raw in _lf(text).split("\n"):
        stripped = raw.strip()
        if not stripped:
            continue
        depth = (len(raw) - len(raw.lstrip(" "))) // len(_INDENT)
        bullet = stripped[:2] in ("- ", "* ", "+ ") or stripped in ("-", "*", "+")
        if not bullet and stack and depth >= len(stack):
            stack[-1]["text"] += "\n" + stripped
            continue
        depth = min(depth, len(stack))
        note: dict[str, Any] = {"text": stripped[2:] if bullet else stripped, "children": []}
        (stack[depth - 1]["children"] if depth else roots).append(note)
        del stack[depth:]
        stack.append(note)
    return roots


__all__ = ["KINDS", "ReportForm", "SectionRow", "TaskRow", "field_of", "notes_json", "notes_text"]
