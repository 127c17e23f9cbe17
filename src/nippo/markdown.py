"""The seed's Markdown format: parse a daily report into a `ReportDocument`, render one back.

A report is a title heading, then sections one heading level below it::

    # 今日学んだこと                 (or "What I learned today"; "今日学んだこと 4/25" too)
    ## 取り組んだ課題一覧             task bullets "- LT会（1h10m）", nested notes, then
                                     any Markdown (kept verbatim in `tasks_extra`)
    ## わかったこと / 感じたこと / 次やること / any other heading
                                     a bullet tree in `notes`, the rest verbatim in `body`
    ## 学習時間                      "- Today: 6h 10m", "- week : 19h 40m", "- Total: 31h 25m"

Japanese and English headings are both accepted (`seed-original.md`, `seed.md`);
`language` is taken from them and the report renders back in that language
with the canonical headings. The title is the first heading that starts with a
known title (so the English seed's preamble is left out), else the first
heading when it is not a section's. Text between the title and the first
section becomes a leading `Section(kind="other", heading="")`. A known
heading starts its section at any level; other headings deeper than the
sections' level belong to the section they are in.

Parsing uses markdown-it-py, a CommonMark parser, so nesting follows what a
Markdown viewer shows: the seed's irregular 4-, 5- and 9-space indents nest
by their offset from the parent's text. Every error is a `MarkdownError`
naming the line.

Limits (`nippo.limits`, the JSON API's too) are checked early: each line's
length and characters, and the number of bullet lines, before markdown-it
parses anything; tasks per report, bullets per list and nesting depth while
the tree is read, each naming the line that crosses the limit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from dbtier.errors import UsageError
from nippo.document import (
    DeclaredStudyTime,
    Language,
    Note,
    ReportDocument,
    Section,
    SectionKind,
    Task,
)
from nippo.durations import DurationError, format_duration, parse_duration
from nippo.limits import (
    MAX_LINE_CHARS,
    MAX_NOTE_CHARS,
    MAX_NOTE_DEPTH,
    MAX_NOTES,
    MAX_NOTES_PER_LIST,
    MAX_TASKS,
)
from nippo.text import first_unstorable

PartKind = Literal["title", "tasks", "learned", "felt", "next", "study"]

# Every heading a part is known by, declared once: per part and language, the canonical
# heading first (what `render_report` writes), then the headings people write in daily
# reports. Matching ignores case, width (NFKC), spacing, a trailing colon, enclosing
# brackets (【学び】) and a leading number (1. やったこと).
KNOWN_HEADINGS: dict[PartKind, dict[Language, tuple[str, ...]]] = {
    "title": {
        "ja": ("今日学んだこと",),
        "en": ("What I learned today",),
    },
    "tasks": {
        "ja": (
            "取り組んだ課題一覧",
            "今日やったこと",
            "取り組んだ課題",
            "取り組んだこと",
            "本日やったこと",
            "やったこと",
            "今日の作業",
            "作業内容",
            "実施内容",
            "実施したこと",
            "今日の学習内容",
        ),
        "en": (
            "Tasks worked on",
            "What I did",
            "Tasks",
            "Today",
            "What I did today",
            "Done",
            "Work done",
            "Activities",
        ),
    },
    "learned": {
        "ja": (
            "わかったこと",
            "分かったこと",
            "学んだこと",
            "学び",
            "今日の学び",
            "学び・気づき",
            "学んだ事",
            "わかった事",
        ),
        "en": (
            "What I understood",
            "What I learned",
            "Learned",
            "Learnings",
            "Lessons learned",
            "TIL",
        ),
    },
    "felt": {
        "ja": ("感じたこと", "気づき", "気付き", "感想", "思ったこと", "振り返り", "所感"),
        "en": ("What I felt", "Reflections", "Reflection", "Feelings", "Impressions", "Thoughts"),
    },
    "next": {
        "ja": (
            "次やること",
            "次にやること",
            "明日やること",
            "明日の予定",
            "次回やること",
            "今後やること",
            "今後の課題",
            "次の目標",
        ),
        "en": ("Next", "Next steps", "Tomorrow", "Plan for tomorrow", "To do", "TODO"),
    },
    "study": {
        "ja": ("学習時間", "勉強時間", "今日の学習時間", "本日の学習時間", "作業時間"),
        "en": ("Study time", "Study hours", "Time spent", "Hours"),
    },
}
# The canonical heading of each part in each language.
HEADINGS: dict[PartKind, dict[Language, str]] = {
    kind: {lang: names[0] for lang, names in by_language.items()}
    for kind, by_language in KNOWN_HEADINGS.items()
}
_STUDY_LABELS: dict[str, str] = {
    "today": "today",
    "今日": "today",
    "本日": "today",
    "week": "week",
    "this week": "week",
    "今週": "week",
    "total": "total",
    "all time": "total",
    "累計": "total",
    "合計": "total",
    "総計": "total",
}
_STUDY_LINE = re.compile(r"(?:[-*+] +)?(?P<label>[^:]*?) *: *(?P<value>.*)")
_TASK = re.compile(r"(?P<title>.*?)\s*[（(](?P<duration>[^（）()]*)[）)]", re.DOTALL)
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_WHAT = {
    "paragraph": "a paragraph",
    "ordered_list": "a numbered list",
    "code_block": "an indented code block",
    "fence": "a code block",
    "blockquote": "a quote",
    "heading": "a heading",
    "hr": "a horizontal rule",
    "html_block": "HTML",
}
# Room for MAX_NOTE_DEPTH levels (a list and an item each) inside a section, so the depth
# limit, not the parser's default nesting cap (20), decides.
_PARSER = MarkdownIt("commonmark", options_update={"maxNesting": 2 * MAX_NOTE_DEPTH + 10})
_BULLET_LINE = re.compile(r"[ \t]*[-*+][ \t]")


class MarkdownError(UsageError):
    """The Markdown is not a daily report in the seed's format; names the line."""

    def __init__(self, line: int, problem: str) -> None:
        self.line = line
        self.problem = problem
        super().__init__(f"line {line}: {problem}")


WarningKind = Literal["no_tasks", "no_study_time", "unrecognized_heading"]


@dataclass(frozen=True)
class ImportWarning:
    """Something a report should have and the import did not find, or a heading it did not know.

    `line` is 1-based; None when the warning is about the whole document. `heading` is
    the text of an unrecognised heading.
    """

    kind: WarningKind
    line: int | None
    message: str
    heading: str | None = None


@dataclass(frozen=True)
class ParsedReport:
    """A parsed document and its warnings: empty when its tasks and study time were found."""

    document: ReportDocument
    warnings: tuple[ImportWarning, ...] = ()


class _NotBullets(Exception):
    """A list item holds something a `Note` cannot (a paragraph, a numbered list...)."""

    def __init__(self, line: int, what: str) -> None:
        super().__init__(line, what)
        self.line = line
        self.what = what


@dataclass
class _Part:
    """A heading's stretch of the document: its blocks and its lines [start, end)."""

    kind: PartKind | Literal["other"]
    heading: str
    line: int
    blocks: list[SyntaxTreeNode]
    start: int
    end: int


def canonical_heading(kind: PartKind, language: Language) -> str:
    """The heading `render_report` writes for a part in a language."""
    return HEADINGS[kind][language]


def parse_report(text: str) -> ReportDocument:
    """A `ReportDocument` from the seed's Markdown; `MarkdownError` names the bad line."""
    return read_report(text).document


def read_report(text: str) -> ParsedReport:
    """The document and what the import should warn about; `MarkdownError` names the bad line."""
    source = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = source.split("\n")
    _check_lines(lines)
    blocks = SyntaxTreeNode(_PARSER.parse(source)).children
    title_at = _find_title(blocks)
    title = blocks[title_at]
    parts = _split_parts(blocks, title_at, len(lines))
    language = _language(title, parts, source)
    doc = ReportDocument(title=_inline(title), language=language)
    for part in parts:
        _read_part(doc, part, lines, language)
    return ParsedReport(doc, _warnings(doc, parts, blocks[title_at + 1 :]))


def render_report(doc: ReportDocument) -> str:
    """The seed's Markdown for a document, with the canonical headings of its language."""
    lang = doc.language
    out = [f"# {doc.title}"]
    sections = list(doc.sections)
    if sections and sections[0].kind == "other" and not sections[0].heading:
        out += ["", *_section_lines(sections.pop(0))]
    if doc.tasks or doc.tasks_extra:
        out += ["", f"## {HEADINGS['tasks'][lang]}"]
        for task in doc.tasks:
            out += _note_lines(Note(_task_text(task, lang), task.notes), 0)
        if doc.tasks_extra:
            out += ["", doc.tasks_extra] if doc.tasks else [doc.tasks_extra]
    for section in sections:
        heading = section.heading if section.kind == "other" else HEADINGS[section.kind][lang]
        out += ["", f"## {heading}", *_section_lines(section)]
    study = _study_lines(doc.study_time)
    if study:
        out += ["", f"## {HEADINGS['study'][lang]}", *study]
    return "\n".join(out).rstrip("\n") + "\n"


# --- parsing: limits checked before markdown-it runs ---------------------------


def _check_lines(lines: list[str]) -> None:
    """Each line's length and characters, and the bullet count, in one pass."""
    bullets = 0
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_CHARS:
            raise MarkdownError(
                number, f"the line is {len(line)} characters long; the limit is {MAX_LINE_CHARS}"
            )
        problem = first_unstorable(line, multiline=False)
        if problem is not None:
            raise MarkdownError(number, str(problem))
        if _BULLET_LINE.match(line):
            bullets += 1
            if bullets > MAX_NOTES + MAX_TASKS:
                raise MarkdownError(
                    number,
                    f"more than {MAX_NOTES + MAX_TASKS} bullets; a report holds at most "
                    f"{MAX_TASKS} tasks and {MAX_NOTES} notes",
                )


# --- parsing: structure ------------------------------------------------------


def _find_title(blocks: list[SyntaxTreeNode]) -> int:
    headings = [i for i, node in enumerate(blocks) if node.type == "heading"]
    for i in headings:
        if _title_language(_inline(blocks[i])) is not None:
            _check_preamble(blocks[:i], blocks[i])
            return i
    if not headings:
        raise MarkdownError(1, f"the report has no title: start it with '# {_TITLE_HINT}'")
    first = blocks[headings[0]]
    if _classify(_inline(first))[0] != "other":
        raise MarkdownError(
            _line(first),
            f"the report has no title: put '# {_TITLE_HINT}' above '{_inline(first)}'",
        )
    return headings[0]


def _check_preamble(preamble: list[SyntaxTreeNode], title: SyntaxTreeNode) -> None:
    """Text above the title is left out; a report section there would be lost, so refuse."""
    for node in preamble:
        if node.type == "heading" and _classify(_inline(node))[0] != "other":
            raise MarkdownError(
                _line(node),
                f"section '{_inline(node)}' comes before the title on line {_line(title)}: "
                "move it below the title",
            )


_TITLE_HINT = f"{HEADINGS['title']['ja']}' (or '# {HEADINGS['title']['en']}"


def _split_parts(blocks: list[SyntaxTreeNode], title_at: int, n_lines: int) -> list[_Part]:
    title = blocks[title_at]
    section_level = _level(title) + 1
    parts: list[_Part] = []
    current = _Part("other", "", _span(title)[1] + 1, [], _span(title)[1], n_lines)
    seen: dict[str, int] = {}
    for node in blocks[title_at + 1 :]:
        if not _starts_part(node, section_level):
            current.blocks.append(node)
            continue
        current.end = _span(node)[0]
        parts.append(current)
        text = _inline(node)
        if _title_language(text) is not None:
            raise MarkdownError(
                _line(node),
                f"a second title '{text}' (the first is on line {_line(title)}): "
                "write one report per document",
            )
        kind, _ = _classify(text)
        if kind != "other":
            if kind in seen:
                raise MarkdownError(
                    _line(node),
                    f"a second '{text}' section (the first is on line {seen[kind]}): "
                    "merge them into one",
                )
            seen[kind] = _line(node)
        current = _Part(kind, text, _line(node), [], _span(node)[1], n_lines)
    parts.append(current)
    intro = parts[0]
    return parts[1:] if not intro.blocks else parts


def _starts_part(node: SyntaxTreeNode, section_level: int) -> bool:
    """A heading at section level or above, or a known heading at any level."""
    if node.type != "heading":
        return False
    text = _inline(node)
    known = _classify(text)[0] != "other" or _title_language(text) is not None
    return known or _level(node) <= section_level


def _language(title: SyntaxTreeNode, parts: list[_Part], source: str) -> Language:
    known = _title_language(_inline(title))
    if known is not None:
        return known
    votes = [lang for part in parts if (lang := _classify(part.heading)[1]) is not None]
    if votes:
        return "en" if votes.count("en") > votes.count("ja") else "ja"
    return "ja" if _CJK.search(source) else "en"


def _read_part(doc: ReportDocument, part: _Part, lines: list[str], language: Language) -> None:
    if part.kind == "tasks":
        doc.tasks, doc.tasks_extra = _read_tasks(part, lines)
    elif part.kind == "study":
        doc.study_time = _read_study_time(part, lines)
    elif part.kind == "title":  # excluded by _split_parts; kept for exhaustiveness
        raise MarkdownError(part.line, "a second title")
    else:
        kind: SectionKind = part.kind
        heading = part.heading if kind == "other" else HEADINGS[kind][language]
        notes, body = _read_notes(part, lines)
        doc.sections.append(Section(kind=kind, heading=heading, notes=notes, body=body))


def _read_tasks(part: _Part, lines: list[str]) -> tuple[list[Task], str]:
    if not part.blocks or part.blocks[0].type != "bullet_list":
        return [], _verbatim(lines, part.start, part.end)
    task_list = part.blocks[0]
    if len(task_list.children) > MAX_TASKS:
        raise MarkdownError(
            _line(task_list.children[MAX_TASKS]),
            f"task {MAX_TASKS + 1}: a report holds at most {MAX_TASKS} tasks",
        )
    tasks = [_read_task(item) for item in task_list.children]
    return tasks, _verbatim(lines, _span(task_list)[1], part.end)


def _read_task(item: SyntaxTreeNode) -> Task:
    line = _line(item)
    if not item.children or item.children[0].type != "paragraph":
        raise MarkdownError(
            line, "a task bullet needs a title and a duration, like '- LT会（1h10m）'"
        )
    text = _inline(item.children[0])
    match = _TASK.fullmatch(text)
    if match is None:
        raise MarkdownError(
            line,
            f"task '{text}' has no duration: end it with one in parentheses, "
            "like 'LT会（1h10m）' or 'Hackathon (4h)'",
        )
    title = match["title"]
    if not title:
        raise MarkdownError(line, f"task '{text}' has no title before its duration")
    try:
        minutes = parse_duration(match["duration"])
    except DurationError as exc:
        raise MarkdownError(line, f"task '{title}': {exc}") from None
    try:
        notes = _notes(item.children[1:])
    except _NotBullets as exc:
        raise MarkdownError(
            exc.line, f"a task's notes can only be nested bullets; found {exc.what}"
        ) from None
    return Task(title=title, minutes=minutes, notes=notes)


def _read_notes(part: _Part, lines: list[str]) -> tuple[list[Note], str]:
    if part.blocks and part.blocks[0].type == "bullet_list":
        try:
            notes = _notes(part.blocks[:1])
        except _NotBullets:  # not a plain bullet tree: keep the section verbatim
            return [], _verbatim(lines, part.start, part.end)
        return notes, _verbatim(lines, _span(part.blocks[0])[1], part.end)
    return [], _verbatim(lines, part.start, part.end)


def _notes(nodes: list[SyntaxTreeNode], depth: int = 1) -> list[Note]:
    notes: list[Note] = []
    for node in nodes:
        if node.type != "bullet_list":
            raise _NotBullets(_line(node), _WHAT.get(node.type, node.type))
        if depth > MAX_NOTE_DEPTH:
            raise MarkdownError(
                _line(node), f"bullets nest deeper than {MAX_NOTE_DEPTH} levels; flatten them"
            )
        for item in node.children:
            if not item.children or item.children[0].type != "paragraph":
                raise _NotBullets(_line(item), "an empty bullet")
            if len(notes) == MAX_NOTES_PER_LIST:
                raise MarkdownError(
                    _line(item), f"more than {MAX_NOTES_PER_LIST} bullets in one list"
                )
            text = _inline(item.children[0])
            if len(text) > MAX_NOTE_CHARS:
                raise MarkdownError(
                    _line(item),
                    f"the bullet is {len(text)} characters long; the limit is {MAX_NOTE_CHARS}",
                )
            notes.append(Note(text, _notes(item.children[1:], depth + 1)))
    return notes


def _read_study_time(part: _Part, lines: list[str]) -> DeclaredStudyTime:
    declared: dict[str, int] = {}
    for index in range(part.start, part.end):
        raw = lines[index].strip()
        if not raw:
            continue
        line = index + 1
        match = _STUDY_LINE.fullmatch(" ".join(unicodedata.normalize("NFKC", raw).split()))
        label = _STUDY_LABELS.get(match["label"].casefold()) if match else None
        if match is None or label is None:
            raise MarkdownError(
                line,
                f"study time '{raw}' is not 'Today: 6h 10m', 'Week: 19h 40m' or 'Total: 31h 25m'",
            )
        if label in declared:
            raise MarkdownError(line, f"study time '{raw}' declares {label} a second time")
        try:
            declared[label] = parse_duration(match["value"])
        except DurationError as exc:
            raise MarkdownError(line, f"study time '{raw}': {exc}") from None
    return DeclaredStudyTime(
        today_minutes=declared.get("today"),
        week_minutes=declared.get("week"),
        total_minutes=declared.get("total"),
    )


# What an import must find, what its absence is called, and what to write instead.
_REQUIRED: tuple[tuple[PartKind, WarningKind, str, str], ...] = (
    ("tasks", "no_tasks", "tasks", "bullets like '- LT会（1h10m）'"),
    ("study", "no_study_time", "study time", "lines like '- Today: 6h 10m'"),
)


def _warnings(
    doc: ReportDocument, parts: list[_Part], after_title: list[SyntaxTreeNode]
) -> tuple[ImportWarning, ...]:
    """No tasks or no study time: say so, and name every heading that was not recognised."""
    found = {part.kind: part.line for part in parts}
    empty = {"tasks": not doc.tasks, "study": doc.study_time == DeclaredStudyTime()}
    missing: list[ImportWarning] = []
    for kind, warning, name, example in _REQUIRED:
        if not empty[kind]:
            continue
        line = found.get(kind)
        headings = " / ".join(
            f"'## {n}'" for names in KNOWN_HEADINGS[kind].values() for n in names[:2]
        )
        message = (
            f"no {name} found: head a section {headings} (docs/service.md lists more), "
            f"with {example}"
            if line is None
            else f"the {name} section on line {line} has no {example}"
        )
        missing.append(ImportWarning(warning, line, message))
    if not missing:
        return ()
    unknown = [
        ImportWarning(
            "unrecognized_heading",
            _line(node),
            f"heading '{_inline(node)}' is not one nippo knows (docs/service.md lists them); "
            "its text is kept as a section of its own",
            _inline(node),
        )
        for node in after_title
        if node.type == "heading" and _classify(_inline(node))[0] == "other"
    ]
    return (*missing, *unknown)


# --- parsing: small helpers ----------------------------------------------------


_DECORATION = re.compile(r"^(?:[0-9]+[.)] *)?[\[【「(]?(?P<name>.*?)[\]】」)]?$")


def _normalized(text: str) -> str:
    folded = " ".join(unicodedata.normalize("NFKC", text).split()).casefold().rstrip(": ")
    match = _DECORATION.fullmatch(folded)
    return (match["name"] if match else folded).strip().rstrip(": ")


def _title_language(text: str) -> Language | None:
    normalized = _normalized(text)
    for lang, title in HEADINGS["title"].items():
        if normalized.startswith(_normalized(title)):
            return lang
    return None


_KNOWN: dict[str, tuple[PartKind, Language]] = {
    _normalized(name): (kind, lang)
    for kind, by_language in KNOWN_HEADINGS.items()
    if kind != "title"
    for lang, names in by_language.items()
    for name in names
}


def _classify(heading: str) -> tuple[PartKind | Literal["other"], Language | None]:
    return _KNOWN.get(_normalized(heading), ("other", None))


def _span(node: SyntaxTreeNode) -> tuple[int, int]:
    return node.map or (0, 0)


def _line(node: SyntaxTreeNode) -> int:
    return _span(node)[0] + 1


def _level(heading: SyntaxTreeNode) -> int:
    return int(heading.tag[1:])


def _inline(node: SyntaxTreeNode) -> str:
    return node.children[0].content if node.children else ""


def _verbatim(lines: list[str], start: int, end: int) -> str:
    chunk = lines[start:end]
    while chunk and not chunk[0].strip():
        chunk.pop(0)
    while chunk and not chunk[-1].strip():
        chunk.pop()
    return "\n".join(chunk)


# --- rendering -----------------------------------------------------------------


def _task_text(task: Task, language: Language) -> str:
    duration = format_duration(task.minutes)
    return f"{task.title}（{duration}）" if language == "ja" else f"{task.title} ({duration})"


def _note_lines(note: Note, depth: int) -> list[str]:
    indent = "  " * depth
    first, *rest = note.text.split("\n")
    out = [f"{indent}- {first}", *(f"{indent}  {line}" for line in rest)]
    for child in note.children:
        out += _note_lines(child, depth + 1)
    return out


def _section_lines(section: Section) -> list[str]:
    out = [line for note in section.notes for line in _note_lines(note, 0)]
    if section.body:
        out += ["", section.body] if out else [section.body]
    return out


def _study_lines(study: DeclaredStudyTime) -> list[str]:
    labelled = (
        ("Today", study.today_minutes),
        ("Week", study.week_minutes),
        ("Total", study.total_minutes),
    )
    return [
        f"- {label}: {format_duration(minutes, spaced=True)}"
        for label, minutes in labelled
        if minutes is not None
    ]


__all__ = [
    "HEADINGS",
    "KNOWN_HEADINGS",
    "ImportWarning",
    "MarkdownError",
    "ParsedReport",
    "PartKind",
    "WarningKind",
    "canonical_heading",
    "parse_report",
    "read_report",
    "render_report",
]
