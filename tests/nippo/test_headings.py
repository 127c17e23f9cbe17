"""Headings people write: the aliases of the sections, and the warning when tasks or study
time cannot be found (422 naming the unrecognised headings by line, unless accepted)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from nippo_helpers import SEED_DATE, People, auth, markdown

from nippo.document import DeclaredStudyTime, Task
from nippo.markdown import HEADINGS, KNOWN_HEADINGS, PartKind, read_report

# The report: the most common Japanese daily-report headings.
COMMON_JA = """# 日報 2025/04/25

## 今日やったこと
- LT会（1h10m）
- ハッカソン（4h）

## 学んだこと
- Secrets Manager はリージョンごと

## 感じたこと
- 発表は緊張する

## 明日やること
- RDS のパラメータ設計

## 勉強時間
- 今日: 5h 10m
"""
COMMON_EN = """# Daily report, April 25

## What I did
- Lightning talks (1h10m)
- Hackathon (4h)

## Learnings
- Secrets Manager is regional

## Reflections
- Presenting is nerve-racking

## Tomorrow
- RDS parameter design

## Study time
- Today: 5h 10m
"""
UNRECOGNISED = """# 日報

## 今日の作業ログ
- 読書（1h）

## メモ
- あとで調べる

## 時間
- 今日: 1h
"""

# What the API says of UNRECOGNISED: the same items in a 422's `errors` and a 201's `warnings`.
UNRECOGNISED_WARNINGS = [
    (["body"], "no_tasks"),
    (["body"], "no_study_time"),
    (["body", "line", 3], "unrecognized_heading"),
    (["body", "line", 6], "unrecognized_heading"),
    (["body", "line", 9], "unrecognized_heading"),
]


def _sections(kind: PartKind) -> list[str]:
    return [name for names in KNOWN_HEADINGS[kind].values() for name in names]


@pytest.mark.parametrize("kind", ["learned", "felt", "next"])
def test_every_section_alias_maps_to_its_section(kind: PartKind) -> None:
    for name in _sections(kind):
        for written in (name, f"{name}：", f"【{name}】", f"1. {name}", name.upper()):
            doc = read_report(f"# 日報\n\n## {written}\n- a\n").document
            assert [(s.kind, s.notes[0].text) for s in doc.sections] == [(kind, "a")], written


def test_every_tasks_and_study_time_alias_is_found() -> None:
    for tasks in _sections("tasks"):
        for study in _sections("study"):
            parsed = read_report(f"# 日報\n\n## {tasks}\n- a（1h）\n\n## {study}\n- Today: 1h\n")
            assert parsed.document.tasks == [Task("a", 60)], (tasks, study)
            assert parsed.document.study_time == DeclaredStudyTime(60, None, None)
            assert parsed.warnings == (), (tasks, study)


def test_common_headings_parse_and_render_canonically() -> None:
    for text, lang in ((COMMON_JA, "ja"), (COMMON_EN, "en")):
        parsed = read_report(text)
        doc = parsed.document
        assert parsed.warnings == ()
        assert doc.language == lang
        assert [(t.minutes) for t in doc.tasks] == [70, 240]
        assert doc.study_time.today_minutes == 310
        assert [s.kind for s in doc.sections] == ["learned", "felt", "next"]
        # Stored under the canonical headings of its language.
        assert [s.heading for s in doc.sections] == [
            HEADINGS[kind][lang] for kind in ("learned", "felt", "next")
        ]


def test_the_aliases_table_has_no_heading_twice() -> None:
    seen: dict[str, str] = {}
    for kind, by_language in KNOWN_HEADINGS.items():
        for names in by_language.values():
            for name in names:
                key = name.casefold()
                assert key not in seen, f"{name!r} is both {seen[key]} and {kind}"
                seen[key] = kind


def test_warnings_name_the_missing_parts_and_the_unrecognised_headings() -> None:
    parsed = read_report(UNRECOGNISED)
    assert [(w.kind, w.line, w.heading) for w in parsed.warnings] == [
        ("no_tasks", None, None),
        ("no_study_time", None, None),
        ("unrecognized_heading", 3, "今日の作業ログ"),
        ("unrecognized_heading", 6, "メモ"),
        ("unrecognized_heading", 9, "時間"),
    ]
    assert "今日やったこと" in parsed.warnings[0].message  # what to write instead
    assert "勉強時間" in parsed.warnings[1].message
    # A section that is there but empty is named by its line.
    empty = read_report("# 日報\n\n## やったこと\n\n本を読んだ\n\n## 学習時間\n- Today: 0m\n")
    assert [(w.kind, w.line) for w in empty.warnings] == [("no_tasks", 3)]
    assert "line 3" in empty.warnings[0].message


def test_common_headings_import_with_tasks_and_study_time(
    client: TestClient, people: People
) -> None:
    for day, text in (("2025-04-24", COMMON_JA), (SEED_DATE, COMMON_EN)):
        response = client.post(
            f"/api/v1/reports/import?date={day}",
            content=text.encode(),
            headers=markdown(people.learner),
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert [t["minutes"] for t in body["tasks"]] == [70, 240]
        assert body["study_time"]["today_minutes"] == 310
        assert body["warnings"] == []


def _import_unrecognised(client: TestClient, people: People, query: str = "") -> Response:
    url = f"/api/v1/reports/import?date={SEED_DATE}{query}"
    answer: Response = client.post(
        url, content=UNRECOGNISED.encode(), headers=markdown(people.learner)
    )
    return answer


def test_unrecognised_headings_are_422_naming_them_and_nothing_is_written(
    client: TestClient, people: People
) -> None:
    response = _import_unrecognised(client, people)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert set(problem) == {"detail", "errors"}
    detail = problem["detail"]
    assert "not saved" in detail and "accept_warnings=true" in detail
    for named in ("line 3 '今日の作業ログ'", "line 6 'メモ'", "line 9 '時間'"):
        assert named in detail
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == UNRECOGNISED_WARNINGS
    assert all(set(e) == {"loc", "msg", "type"} and e["msg"] for e in problem["errors"])
    listed = client.get(
        f"/api/v1/learners/{people.learner_id}/reports?from={SEED_DATE}&to={SEED_DATE}",
        headers=auth(people.learner),
    )
    assert listed.json() == []


def test_accepted_warnings_save_the_report_and_come_back(
    client: TestClient, people: People
) -> None:
    response = _import_unrecognised(client, people, "&accept_warnings=true")
    assert response.status_code == 201, response.text
    body = response.json()
    assert [(w["loc"], w["type"]) for w in body["warnings"]] == UNRECOGNISED_WARNINGS
    assert body["tasks"] == []
    assert [s["heading"] for s in body["sections"]] == ["今日の作業ログ", "メモ", "時間"]
    assert body["study_time"]["today_minutes"] == 0
    again = client.get(f"/api/v1/reports/{body['id']}", headers=auth(people.learner))
    assert again.status_code == 200  # saved
    bad_flag = client.post(
        "/api/v1/reports/import?date=2025-04-24&accept_warnings=yes",
        content=UNRECOGNISED.encode(),
        headers=markdown(people.learner),
    )
    assert bad_flag.status_code == 422 and "true or false" in bad_flag.json()["detail"]


def test_docs_list_every_known_heading() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "service.md").read_text()
    table = page.split("## Headings", 1)[1]
    for kind, by_language in KNOWN_HEADINGS.items():
        for names in by_language.values():
            for name in names:
                assert name in table, f"docs/service.md does not list {kind} heading {name!r}"
