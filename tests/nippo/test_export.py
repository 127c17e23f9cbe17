"""Export: an unchanged imported document byte for byte; a changed report in the seed's
canonical format. Both seeds, a document with the common aliases (BOM and CRLF too), and
each way a report stops being the one imported (replaced, study time moved on)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from nippo_helpers import SEED_DATE, SEED_ENGLISH, SEED_ORIGINAL, People, auth, markdown
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from nippo.markdown import parse_report, render_report
from nippo.models import ReportSource

FORMAT = "nippo-export-format"
# Aliases, a title that is not the seed's, odd indents, half-width brackets, "week :",
# a BOM and Windows line ends: everything the canonical format would change.
ALIASES = (
    "\ufeff# 日報 2025/04/25\r\n\r\n"
    "## 今日やったこと\r\n"
    "-   LT会 (1h10m)\r\n"
    "     - 発表した\r\n"
    "- ハッカソン(4h)\r\n\r\n"
    "## 学び\r\n"
    "* Secrets Manager はリージョンごと  \r\n\r\n"
    "## 気づき\r\n"
    "- 発表は緊張する\r\n\r\n"
    "## 明日やること：\r\n"
    "- RDS\r\n\r\n"
    "## 勉強時間\r\n"
    "- today: 5h10m\r\n"
    "- week : 5h 10m"
)


def _import(client: TestClient, token: str, body: bytes, day: str = SEED_DATE) -> int:
    response = client.post(
        f"/api/v1/reports/import?date={day}&keep_declared_totals=true",
        content=body,
        headers=markdown(token),
    )
    assert response.status_code == 201, response.text
    report_id: int = response.json()["id"]
    return report_id


def _export(client: TestClient, token: str, report_id: int) -> tuple[bytes, str]:
    response = client.get(f"/api/v1/reports/{report_id}/markdown", headers=auth(token))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    return response.content, response.headers[FORMAT]


@pytest.mark.parametrize(
    "original",
    [SEED_ORIGINAL.read_bytes(), SEED_ENGLISH.read_bytes(), ALIASES.encode()],
    ids=["seed-original", "seed", "aliases-bom-crlf"],
)
def test_an_unchanged_import_exports_byte_for_byte(
    client: TestClient, people: People, original: bytes
) -> None:
    report_id = _import(client, people.learner, original)
    for token in (people.learner, people.mentor):
        exported, form = _export(client, token, report_id)
        assert form == "as-imported"
        assert exported == original


def test_the_canonical_format_is_what_a_changed_report_exports(
    client: TestClient, people: People
) -> None:
    original = SEED_ORIGINAL.read_text(encoding="utf-8")
    report_id = _import(client, people.learner, original.encode())
    read = client.get(f"/api/v1/reports/{report_id}", headers=auth(people.learner)).json()
    # The learner edits one bullet (as the pages' form does: the whole report is replaced).
    body = {k: read[k] for k in ("date", "title", "language", "tasks", "tasks_extra", "sections")}
    body["sections"][0]["notes"][0]["text"] = "パラメータ設計は奥が深い"
    replaced = client.put(f"/api/v1/reports/{report_id}", json=body, headers=auth(people.learner))
    assert replaced.status_code == 200, replaced.text

    exported, form = _export(client, people.learner, report_id)
    assert form == "canonical"
    text = exported.decode()
    assert text == render_report(parse_report(text))  # canonical: a fixed point of render
    # The seed's format, normalised: 2-space bullets, full-width brackets in Japanese,
    # "Week:" capitalised, a final newline; the edit is there, the rest as it was.
    assert "- ハッカソン（4h）\n  - backend\n    - RDSパラメータ設計\n" in text
    assert "## 学習時間\n- Today: 6h 10m\n- Week: 19h 40m\n- Total: 31h 25m\n" in text
    assert "- パラメータ設計は奥が深い\n" in text
    changed = parse_report(text)
    source = parse_report(original)
    assert [(t.title, t.minutes) for t in changed.tasks] == [
        (t.title, t.minutes) for t in source.tasks
    ]
    assert changed.sections[1:] == source.sections[1:]
    assert changed.tasks_extra == source.tasks_extra


def test_study_time_that_moved_on_exports_canonically_with_the_databases_figures(
    client: TestClient, people: People
) -> None:
    report_id = _import(client, people.learner, SEED_ORIGINAL.read_bytes())
    # A report for the Monday before: the seed's declared week (19h 40m) is no longer true.
    monday = {"date": "2025-04-21", "title": "月曜", "tasks": [{"title": "復習", "minutes": 30}]}
    created = client.post("/api/v1/reports", json=monday, headers=auth(people.learner))
    assert created.status_code == 201, created.text
    exported, form = _export(client, people.learner, report_id)
    assert form == "canonical"
    assert "- Week: 20h 10m\n- Total: 31h 55m\n" in exported.decode()
    # Back as it was: the source is served again.
    client.delete(f"/api/v1/reports/{created.json()['id']}", headers=auth(people.learner))
    assert _export(client, people.learner, report_id) == (SEED_ORIGINAL.read_bytes(), "as-imported")


def _sources(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(ReportSource)) or 0)


def test_a_canonical_import_keeps_no_copy_and_a_deleted_report_none(
    client: TestClient, engine: Engine, people: People
) -> None:
    seed_id = _import(client, people.learner, SEED_ORIGINAL.read_bytes())
    assert _sources(engine) == 1
    client.delete(f"/api/v1/reports/{seed_id}", headers=auth(people.learner))
    assert _sources(engine) == 0  # ON DELETE CASCADE
    # Already canonical (as an export of a changed report is): nothing is kept, and the
    # canonical export is the same bytes.
    canonical = render_report(parse_report(SEED_ORIGINAL.read_text(encoding="utf-8"))).encode()
    again_id = _import(client, people.learner, canonical)
    assert _sources(engine) == 0
    assert _export(client, people.learner, again_id) == (canonical, "canonical")
