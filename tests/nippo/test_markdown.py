"""`nippo.markdown`: the seed's Markdown, parsed, rendered, and refused with line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
from nippo.durations import MAX_MINUTES
from nippo.markdown import HEADINGS, MarkdownError, parse_report, render_report

DATA = Path(__file__).resolve().parent.parent / "data"
SEEDS = ("seed-original.md", "seed.md")


def seed(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


# --- the seed -------------------------------------------------------------------


def test_the_japanese_seed_parses_into_its_tasks_sections_and_study_time() -> None:
    doc = parse_report(seed("seed-original.md"))

    assert doc.title == "今日学んだこと"
    assert doc.language == "ja"
    assert [(t.title, t.minutes) for t in doc.tasks] == [
        ("LT会", 70),
        ("ULT会", 60),
        ("ハッカソン", 240),
    ]
    assert doc.task_minutes == 370
    assert doc.study_time == DeclaredStudyTime(
        today_minutes=370, week_minutes=1180, total_minutes=1885
    )
    assert [s.kind for s in doc.sections] == ["learned", "felt", "next"]
    assert [s.heading for s in doc.sections] == ["わかったこと", "感じたこと", "次やること"]


def test_the_seeds_irregular_indentation_nests_by_relative_offset() -> None:
    doc = parse_report(seed("seed-original.md"))
    lt, ult, hackathon = doc.tasks

    assert lt.notes == [Note("ECS on Fargateの構成要素について（発表＋資料作成）")]
    # 5 spaces, then 9 spaces: two levels down.
    assert ult.notes == [
        Note(
            "Web3層アーキテクチャについて（資料作成）",
            [Note("ULT会の発表者が多く発表できなかったため、次回のLT会で発表する")],
        )
    ]
    # 4 spaces, then 9 spaces.
    assert hackathon.notes == [
        Note("backend", [Note("RDSパラメータ設計")]),
        Note("infra", [Note("インフラ設計・アーキテクチャ図修正")]),
    ]
    felt = doc.sections[1]
    groups = felt.notes[2].children
    assert groups[0].text == "**要件定義・利用特性の整理**"
    assert [len(g.children) for g in groups] == [2, 2, 2, 1, 2, 1]
    assert groups[-1].text == "**セキュリティ設計**"  # surrounding spaces dropped


def test_the_content_after_the_task_list_is_kept_verbatim() -> None:
    doc = parse_report(seed("seed-original.md"))
    lines = seed("seed-original.md").split("\n")

    assert doc.tasks_extra == "\n".join(lines[14:33])
    assert doc.tasks_extra.startswith(
        "【アーキテクチャ図の主な変更点】\n- **AWS Secrets Manager**を追加"
    )
    assert "\n1. EventBridge Scheduler" in doc.tasks_extra
    assert doc.tasks_extra.endswith("![alt text](20250425.png)")
    assert all(not s.body for s in doc.sections)


def test_the_english_seed_parses_with_its_deeper_headings_and_without_its_preamble() -> None:
    doc = parse_report(seed("seed.md"))

    assert doc.title == "What I learned today"
    assert doc.language == "en"
    assert [(t.title, t.minutes) for t in doc.tasks] == [
        ("Lightning-talk session", 70),
        ("Ultra-lightning-talk session", 60),
        ("Hackathon", 240),
    ]
    assert doc.study_time == DeclaredStudyTime(370, 1180, 1885)
    assert [s.kind for s in doc.sections] == ["learned", "felt", "next"]
    assert doc.tasks_extra.startswith("**Main changes to the architecture diagram**")
    assert doc.tasks_extra.endswith("(architecture diagram image: 20250425.png, not included)")
    assert "The seed, in English" not in render_report(doc)


@pytest.mark.parametrize("name", SEEDS)
def test_the_seed_round_trips(name: str) -> None:
    doc = parse_report(seed(name))
    rendered = render_report(doc)

    assert parse_report(rendered) == doc
    assert render_report(parse_report(rendered)) == rendered


@pytest.mark.parametrize("name", SEEDS)
def test_the_export_holds_the_same_sections_tasks_durations_and_totals(name: str) -> None:
    doc = parse_report(seed(name))
    rendered = render_report(doc)
    lang = doc.language

    headings = [line for line in rendered.splitlines() if line.startswith("#")]
    assert headings == [
        f"# {doc.title}",
        *(f"## {HEADINGS[kind][lang]}" for kind in ("tasks", "learned", "felt", "next", "study")),
    ]
    for task, duration in zip(doc.tasks, ("1h10m", "1h", "4h"), strict=True):
        assert f"- {task.title}" in rendered
        assert f"({duration})" in rendered or f"（{duration}）" in rendered
    assert "- Today: 6h 10m\n- Week: 19h 40m\n- Total: 31h 25m\n" in rendered
    assert doc.tasks_extra in rendered


def test_the_japanese_export_is_the_seed_in_canonical_form() -> None:
    rendered = render_report(parse_report(seed("seed-original.md")))

    assert rendered.startswith("# 今日学んだこと\n\n## 取り組んだ課題一覧\n- LT会（1h10m）\n")
    assert "- ハッカソン（4h）\n  - backend\n    - RDSパラメータ設計\n" in rendered


# --- accepted variations ----------------------------------------------------------


def test_headings_in_either_language_map_to_the_same_kinds() -> None:
    text = "# 今日学んだこと 4/25\n\n## Tasks worked on\n- a (1h)\n\n### What I felt\n- b\n"
    doc = parse_report(text)

    assert doc.title == "今日学んだこと 4/25"
    assert doc.language == "ja"  # the title decides
    assert doc.sections == [Section("felt", "感じたこと", [Note("b")])]


def test_language_follows_the_section_headings_when_the_title_is_free_text() -> None:
    doc = parse_report("# Friday\n\n## Tasks worked on\n- a (1h)\n\n## Next\n- b\n")
    assert (doc.title, doc.language) == ("Friday", "en")


def test_unknown_sections_are_kept_as_other_in_order() -> None:
    text = "# 今日学んだこと\n\n## メモ\n- x\n\nfree text\n\n## 感じたこと\n- y\n"
    doc = parse_report(text)

    assert doc.sections == [
        Section("other", "メモ", [Note("x")], "free text"),
        Section("felt", "感じたこと", [Note("y")]),
    ]
    assert parse_report(render_report(doc)) == doc


def test_text_between_the_title_and_the_first_section_is_kept_as_a_leading_section() -> None:
    doc = parse_report("# 今日学んだこと\n\n雨の日。\n\n## 取り組んだ課題一覧\n- a（1h）\n")

    assert doc.sections == [Section("other", "", [], "雨の日。")]
    assert render_report(doc).startswith("# 今日学んだこと\n\n雨の日。\n\n## 取り組んだ課題一覧\n")
    assert parse_report(render_report(doc)) == doc


def test_deeper_headings_stay_inside_their_section() -> None:
    doc = parse_report("# 今日学んだこと\n\n## わかったこと\n- a\n\n### 補足\nb\n")
    assert doc.sections == [Section("learned", "わかったこと", [Note("a")], "### 補足\nb")]


def test_a_section_that_is_not_a_plain_bullet_tree_is_kept_verbatim() -> None:
    text = "# 今日学んだこと\n\n## わかったこと\n- a\n  1. b\n  2. c\n"
    doc = parse_report(text)

    assert doc.sections == [Section("learned", "わかったこと", [], "- a\n  1. b\n  2. c")]
    assert parse_report(render_report(doc)) == doc


def test_full_width_durations_crlf_and_a_bom_are_read() -> None:
    text = "\ufeff# 今日学んだこと\r\n\r\n## 取り組んだ課題一覧\r\n- 読書（１ｈ３０ｍ）\r\n"
    assert parse_report(text).tasks == [Task("読書", 90)]


def test_a_task_title_may_hold_parentheses_before_its_duration() -> None:
    doc = parse_report("# What I learned today\n\n## Tasks\n- Reading (chapter 3) (45m)\n")
    assert doc.tasks == [Task("Reading (chapter 3)", 45)]


def test_study_time_labels_are_read_loosely() -> None:
    text = "# 今日学んだこと\n\n## 学習時間\n- today:6h10m\n- 今週：19h 40m\n\n* TOTAL : 31h 25m\n"
    assert parse_report(text).study_time == DeclaredStudyTime(370, 1180, 1885)


# --- refused input, with the line --------------------------------------------------

ERRORS = [
    pytest.param(
        "# 今日学んだこと\n\n## 取り組んだ課題一覧\n- LT会（1h10m）\n- ハッカソン\n",
        5,
        "task 'ハッカソン' has no duration",
        id="task-without-duration",
    ),
    pytest.param(
        "# 今日学んだこと\n\n## 取り組んだ課題一覧\n- LT会（1h10m）\n  - note\n- ハッカソン(4hh)\n",
        6,
        "task 'ハッカソン': '4hh' is not a duration",
        id="malformed-duration",
    ),
    pytest.param(
        "# 今日学んだこと\n\n## 取り組んだ課題一覧\n-  (1h)\n",
        4,
        "has no title before its duration",
        id="task-without-title",
    ),
    pytest.param(
        "# 今日学んだこと\n\n## 取り組んだ課題一覧\n- a（1h）\n\n  second paragraph\n",
        6,
        "a task's notes can only be nested bullets; found a paragraph",
        id="task-with-paragraph",
    ),
    pytest.param(
        "# 今日学んだこと\n\n## 取り組んだ課題一覧\n-\n",
        4,
        "a task bullet needs a title and a duration",
        id="empty-task-bullet",
    ),
    pytest.param(
        "## 取り組んだ課題一覧\n- a（1h）\n",
        1,
        "the report has no title: put '# 今日学んだこと'",
        id="missing-title",
    ),
    pytest.param(
        "# Notes\n\n## 取り組んだ課題一覧\n- a（1h）\n\n# 今日学んだこと\n",
        3,
        "section '取り組んだ課題一覧' comes before the title on line 6",
        id="section-above-title",
    ),
    pytest.param("just text\n", 1, "the report has no title", id="no-headings"),
    pytest.param("", 1, "the report has no title", id="empty"),
    pytest.param(
        "# 今日学んだこと\n\n## 学習時間\n- Today: 6h 10m\n- week: about 19h\n",
        5,
        "study time '- week: about 19h': 'about 19h' is not a duration",
        id="study-time-duration",
    ),
    pytest.param(
        "# 今日学んだこと\n\n## 学習時間\n- Today: 6h 10m\n- Month: 40h\n",
        5,
        "study time '- Month: 40h' is not 'Today: 6h 10m'",
        id="study-time-label",
    ),
    pytest.param(
        "# 今日学んだこと\n\n## 学習時間\n- Today: 6h\n- today: 7h\n",
        5,
        "declares today a second time",
        id="study-time-twice",
    ),
    pytest.param(
        "# 今日学んだこと\n\n## 感じたこと\n- a\n\n## わかったこと\n- b\n\n## 感じたこと\n- c\n",
        9,
        "a second '感じたこと' section (the first is on line 3)",
        id="duplicate-section",
    ),
    pytest.param(
        "# 今日学んだこと\n\n## 次やること\n- a\n\n## Next\n- b\n",
        6,
        "a second 'Next' section (the first is on line 3)",
        id="duplicate-across-languages",
    ),
    pytest.param(
        "# 今日学んだこと\n\n## 感じたこと\n- a\n\n# 今日学んだこと\n",
        6,
        "a second title '今日学んだこと' (the first is on line 1)",
        id="second-title",
    ),
]


@pytest.mark.parametrize(("text", "line", "problem"), ERRORS)
def test_bad_markdown_is_refused_naming_the_line_and_the_problem(
    text: str, line: int, problem: str
) -> None:
    with pytest.raises(MarkdownError) as caught:
        parse_report(text)

    assert caught.value.line == line
    assert str(caught.value).startswith(f"line {line}: ")
    assert problem in str(caught.value)
    assert isinstance(caught.value, UsageError)
    assert caught.value.exit_code == 2


# --- render → parse is the identity ---------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZあいうえおカタナ漢字設計"
_WORD_CHARS = _LETTERS + "0123456789,:;?/'・、。"
_words = st.lists(st.text(_WORD_CHARS, min_size=1, max_size=8), min_size=0, max_size=5).map(
    " ".join
)
# A line of text that Markdown reads as text: it starts with a letter.
_line = st.builds(lambda first, rest: (first + rest).rstrip(), st.sampled_from(_LETTERS), _words)
_text = st.lists(_line, min_size=1, max_size=3).map("\n".join)
_paragraphs = st.lists(_text, min_size=1, max_size=3).map("\n\n".join)
_verbatim = st.one_of(st.just(""), _paragraphs)


def _notes(depth: int) -> st.SearchStrategy[list[Note]]:
    children = st.just([]) if depth == 0 else _notes(depth - 1)
    return st.lists(st.builds(Note, _text, children), max_size=3)


@st.composite
def documents(draw: st.DrawFn) -> ReportDocument:
    lang: Language = draw(st.sampled_from(["ja", "en"]))
    suffix = draw(st.one_of(st.just(""), _line.map(lambda s: " " + s)))
    tasks = draw(
        st.lists(st.builds(Task, _line, st.integers(0, MAX_MINUTES), _notes(2)), max_size=4)
    )
    sections = []
    if draw(st.booleans()):  # text between the title and the first section
        intro = Section("other", "", draw(_notes(1)), draw(_verbatim))
        if intro.notes or intro.body:
            sections.append(intro)
    kinds: list[SectionKind] = draw(st.permutations(["learned", "felt", "next", "other", "other"]))
    for kind in kinds[: draw(st.integers(0, 5))]:
        heading = HEADINGS[kind][lang] if kind != "other" else "Memo " + draw(_line)
        sections.append(Section(kind, heading, draw(_notes(2)), draw(_verbatim)))
    minutes = st.one_of(st.none(), st.integers(0, MAX_MINUTES))
    return ReportDocument(
        title=HEADINGS["title"][lang] + suffix,
        tasks=tasks,
        tasks_extra=draw(_verbatim),
        sections=sections,
        study_time=DeclaredStudyTime(draw(minutes), draw(minutes), draw(minutes)),
        language=lang,
    )


# No deadline: a loaded CI machine must not turn slowness into a failure.
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_render_then_parse_is_the_identity(doc: ReportDocument) -> None:
    assert parse_report(render_report(doc)) == doc
