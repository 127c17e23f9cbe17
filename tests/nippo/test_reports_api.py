"""Reports through the JSON API: create, read, replace, list a date range, delete."""

from __future__ import annotations

from fastapi.testclient import TestClient
from nippo_helpers import People, auth
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from nippo.models import Feedback, ReportSection, ReportTask

REPORT = {
    "date": "2025-04-22",
    "title": "今日学んだこと",
    "tasks": [
        {
            "title": "ハッカソン",
            "minutes": 240,
            "notes": [{"text": "backend", "children": [{"text": "RDSパラメータ設計"}]}],
        }
    ],
    "sections": [
        {"kind": "learned", "heading": "わかったこと", "notes": [{"text": "パラメータ設計とは"}]},
        {"kind": "felt", "heading": "感じたこと", "body": "段落 😀"},
    ],
}


def test_create_read_replace_list_delete(
    client: TestClient, engine: Engine, people: People
) -> None:
    created = client.post("/api/v1/reports", json=REPORT, headers=auth(people.learner))
    assert created.status_code == 201, created.text
    report = created.json()
    assert report["tasks"][0]["notes"][0]["children"][0] == {
        "text": "RDSパラメータ設計",
        "children": [],
    }
    assert report["sections"][1]["body"] == "段落 😀"  # utf8mb4 on MySQL
    read = client.get(f"/api/v1/reports/{report['id']}", headers=auth(people.mentor)).json()
    assert read == report

    replacement = REPORT | {"date": "2025-04-23", "tasks": [{"title": "LT会", "minutes": 70}]}
    replaced = client.put(
        f"/api/v1/reports/{report['id']}", json=replacement, headers=auth(people.learner)
    )
    assert replaced.status_code == 200, replaced.text
    assert [t["title"] for t in replaced.json()["tasks"]] == ["LT会"]
    second = client.post(
        "/api/v1/reports", json=REPORT | {"date": "2025-04-24"}, headers=auth(people.learner)
    ).json()
    clash = client.put(
        f"/api/v1/reports/{second['id']}",
        json=REPORT | {"date": "2025-04-23"},
        headers=auth(people.learner),
    )
    assert clash.status_code == 409

    listed = client.get(
        f"/api/v1/learners/{people.learner_id}/reports?from=2025-04-20&to=2025-04-26",
        headers=auth(people.mentor),
    ).json()
    assert [(r["date"], r["task_minutes"]) for r in listed] == [
        ("2025-04-23", 70),
        ("2025-04-24", 240),
    ]
    narrow = client.get(
        f"/api/v1/learners/{people.learner_id}/reports?from=2025-04-24&to=2025-04-24",
        headers=auth(people.learner),
    ).json()
    assert [r["id"] for r in narrow] == [second["id"]]

    client.post(
        f"/api/v1/reports/{second['id']}/feedback", json={"body": "ok"}, headers=auth(people.mentor)
    )
    assert (
        client.delete(f"/api/v1/reports/{second['id']}", headers=auth(people.learner)).status_code
        == 204
    )
    with engine.connect() as connection:
        for table, left in ((Feedback, 0), (ReportTask, 1), (ReportSection, 2)):
            count = connection.scalar(select(func.count()).select_from(table))
            assert count == left, table
