"""The seed through the API: import gives 6h10m today and keeps 19h40m / 31h25m when asked;
the export holds the same sections, tasks, durations and totals."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from nippo_helpers import SEED_DATE, SEED_ENGLISH, SEED_ORIGINAL, People, auth, markdown

from nippo.markdown import parse_report


def test_seed_imports_and_round_trips(client: TestClient, people: People) -> None:
    original = SEED_ORIGINAL.read_text(encoding="utf-8")
    response = client.post(
        f"/api/v1/reports/import?date={SEED_DATE}&keep_declared_totals=true",
        content=original.encode("utf-8"),
        headers=markdown(people.learner),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert [(t["title"], t["minutes"]) for t in body["tasks"]] == [
        ("LT会", 70),
        ("ULT会", 60),
        ("ハッカソン", 240),
    ]
    assert body["study_time"] == {
        "learner_id": people.learner_id,
        "date": SEED_DATE,
        "week_start": "2025-04-21",
        "today_minutes": 370,  # 1h10m + 1h + 4h = 6h10m
        "week_minutes": 1180,  # 19h40m, kept
        "total_minutes": 1885,  # 31h25m, kept
    }
    assert body["opening_balance"]["week_minutes"] == 1180 - 370
    assert body["opening_balance"]["total_minutes"] == 1885 - 370

    exported = client.get(f"/api/v1/reports/{body['id']}/markdown", headers=auth(people.learner))
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/markdown")
    source, back = parse_report(original), parse_report(exported.text)
    assert back.title == source.title
    assert [(s.kind, s.heading) for s in back.sections] == [
        (s.kind, s.heading) for s in source.sections
    ]
    assert [(t.title, t.minutes) for t in back.tasks] == [
        (t.title, t.minutes) for t in source.tasks
    ]
    assert back.study_time == source.study_time
    assert (back.study_time.today_minutes, back.study_time.week_minutes) == (370, 1180)
    assert back.study_time.total_minutes == 1885
    assert back == source  # notes, verbatim blocks and language too

    # Importing the export for the next day gives the same document again.
    again = client.post(
        "/api/v1/reports/import?date=2025-04-26&keep_declared_totals=true",
        content=exported.text.encode("utf-8"),
        headers=markdown(people.learner),
    )
    # Its declared week (19h40m) is now less than recorded (6h10m twice + the balance).
    assert again.status_code == 422
    assert "19h 40m" in again.json()["detail"] and "25h 50m" in again.json()["detail"]


def test_english_seed_round_trips(client: TestClient, people: People) -> None:
    english = SEED_ENGLISH.read_text(encoding="utf-8")
    response = client.post(
        f"/api/v1/reports/import?date={SEED_DATE}&keep_declared_totals=true",
        content=english.encode("utf-8"),
        headers=markdown(people.learner),
    )
    assert response.status_code == 201, response.text
    assert response.json()["language"] == "en"
    assert response.json()["study_time"]["today_minutes"] == 370
    exported = client.get(
        f"/api/v1/reports/{response.json()['id']}/markdown", headers=auth(people.mentor)
    )
    assert parse_report(exported.text) == parse_report(english)


def test_without_keep_the_declared_totals_are_refused(client: TestClient, people: People) -> None:
    response = client.post(
        f"/api/v1/reports/import?date={SEED_DATE}",
        content=SEED_ORIGINAL.read_bytes(),
        headers=markdown(people.learner),
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "19h 40m" in detail and "6h 10m" in detail and "keep_declared_totals" in detail
    listed = client.get(
        f"/api/v1/learners/{people.learner_id}/reports?from={SEED_DATE}&to={SEED_DATE}",
        headers=auth(people.learner),
    )
    assert listed.json() == []  # nothing half-written


def test_import_date_defaults_to_today_in_the_learners_time_zone(
    client: TestClient, people: People
) -> None:
    before = dt.datetime.now(ZoneInfo("Europe/Paris")).date()
    # Today only: no declared week or total, so no opening balance.
    text = SEED_ORIGINAL.read_text(encoding="utf-8").split("## 学習時間")[0]
    text += "## 学習時間\n- Today: 6h 10m\n"
    response = client.post(
        "/api/v1/reports/import", content=text.encode(), headers=markdown(people.other_learner)
    )
    after = dt.datetime.now(ZoneInfo("Europe/Paris")).date()
    assert response.status_code == 201, response.text
    assert response.json()["date"] in {before.isoformat(), after.isoformat()}
    assert response.json()["study_time"]["today_minutes"] == 370
    assert response.json()["opening_balance"] is None
