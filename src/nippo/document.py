"""A daily report as a document: the seed's sections, independent of storage and of Markdown.

`nippo.markdown` parses the seed's Markdown into a `ReportDocument` and renders
one back; `nippo.service` stores and loads it. Durations are whole minutes.

The seed's structure (Japanese headings in `seed-original.md`, English in
`seed.md`)::

    # 今日学んだこと / What I learned today          -> title
    ## 取り組んだ課題一覧 / Tasks worked on          -> tasks (+ tasks_extra)
    ## わかったこと / What I understood              -> section kind "learned"
    ## 感じたこと / What I felt                      -> section kind "felt"
    ## 次やること / Next                             -> section kind "next"
    ## 学習時間 / Study time                         -> declared study time
    any other heading                               -> section kind "other"
    text between the title and the first section    -> a leading Section("other", heading="")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SectionKind = Literal["learned", "felt", "next", "other"]
Language = Literal["ja", "en"]


@dataclass
class Note:
    """A bullet and the bullets nested under it."""

    text: str
    children: list[Note] = field(default_factory=list)


@dataclass
class Task:
    """A task worked on: a title, its duration in minutes, nested notes."""

    title: str
    minutes: int
    notes: list[Note] = field(default_factory=list)


@dataclass
class Section:
    """A section other than tasks and study time.

    `notes` holds its bullet tree; `body` holds any Markdown that is not a
    bullet list (paragraphs, numbered lists, images), kept verbatim so the
    export reproduces the document.
    """

    kind: SectionKind
    heading: str
    notes: list[Note] = field(default_factory=list)
    body: str = ""


@dataclass
class DeclaredStudyTime:
    """The study times a document declares (None where it declares none)."""

    today_minutes: int | None = None
    week_minutes: int | None = None
    total_minutes: int | None = None


@dataclass
class ReportDocument:
    """One daily report, as written."""

    title: str
    tasks: list[Task] = field(default_factory=list)
    # Markdown after the task list inside the tasks section (the seed's
    # "main changes to the architecture diagram" and "flow" blocks), verbatim.
    tasks_extra: str = ""
    sections: list[Section] = field(default_factory=list)
    study_time: DeclaredStudyTime = field(default_factory=DeclaredStudyTime)
    language: Language = "ja"

    @property
    def task_minutes(self) -> int:
        """The sum of the task durations: what 'today' must equal."""
        return sum(task.minutes for task in self.tasks)


__all__ = [
    "DeclaredStudyTime",
    "Language",
    "Note",
    "ReportDocument",
    "Section",
    "SectionKind",
    "Task",
]
