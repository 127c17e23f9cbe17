"""Study time: today, the week from Monday, all time up to a date, opening balances included."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from nippo_helpers import People, auth
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from nippo.models import StudyTimeAdjustment
from nippo.study_time import study_time, week_start


def test_week_starts_on_monday() -> None:
    assert week_start(dt.date(2025, 4, 25)) == dt.date(2025, 4, 21)  # Friday → Monday
    assert week_start(dt.date(2025, 4, 21)) == dt.date(2025, 4, 21)
    assert week_start(dt.date(2025, 4, 27)) == dt.date(2025, 4, 21)  # Sunday ends the week


def _report(client: TestClient, token: str, day: str, *minutes: int) -> None:
    tasks = [{"title": f"task {i}", "minutes": m} for i, m in enumerate(minutes)]
    response = client.post(
        "/api/v1/reports", json={"date": day, "title": "day", "tasks": tasks}, headers=auth(token)
    )
    assert response.status_code == 201, response.text


def test_today_week_total_across_week_boundaries(
    client: TestClient, engine: Engine, people: People
) -> None:
    _report(client, people.learner, "2025-04-18", 100)  # Friday of the week before
    _report(client, people.learner, "2025-04-20", 30, 20)  # Sunday: still the week before
    _report(client, people.learner, "2025-04-21", 60)  # Monday
    _report(client, people.learner, "2025-04-23", 45, 15)  # Wednesday
    _report(client, people.learner, "2025-04-28", 500)  # next Monday: after the day asked
    _report(client, people.other_learner, "2025-04-23", 999)  # someone else
    with Session(engine) as session:
        wednesday = study_time(session, people.learner_id, dt.date(2025, 4, 23))
        thursday = study_time(session, people.learner_id, dt.date(2025, 4, 24))
        sunday = study_time(session, people.learner_id, dt.date(2025, 4, 20))
        nothing_yet = study_time(session, people.learner_id, dt.date(2025, 1, 1))
    assert (wednesday.today_minutes, wednesday.week_minutes, wednesday.total_minutes) == (
        60,
        120,
        270,
    )
    assert (thursday.today_minutes, thursday.week_minutes, thursday.total_minutes) == (0, 120, 270)
    assert (sunday.today_minutes, sunday.week_minutes, sunday.total_minutes) == (50, 150, 150)
    assert (nothing_yet.today_minutes, nothing_yet.week_minutes, nothing_yet.total_minutes) == (
        0,
        0,
        0,
    )


def test_opening_balance_counts_from_its_date_and_its_week_only(
    client: TestClient, engine: Engine, people: People
) -> None:
    _report(client, people.learner, "2025-04-25", 30)
    with Session(engine) as session:
        session.add(
            StudyTimeAdjustment(
                learner_id=people.learner_id,
                effective_date=dt.date(2025, 4, 24),
                week_minutes=600,
                total_minutes=1000,
                reason="test",
            )
        )
        session.commit()
        before = study_time(session, people.learner_id, dt.date(2025, 4, 23))
        friday = study_time(session, people.learner_id, dt.date(2025, 4, 25))
        next_week = study_time(session, people.learner_id, dt.date(2025, 4, 28))
    assert (before.week_minutes, before.total_minutes) == (0, 0)
    assert (friday.today_minutes, friday.week_minutes, friday.total_minutes) == (30, 630, 1030)
    assert (next_week.today_minutes, next_week.week_minutes, next_week.total_minutes) == (
        0,
        0,
        1030,
    )


def test_study_time_of_a_mentor_id_is_404(client: TestClient, people: People) -> None:
    url = f"/api/v1/learners/{people.mentor_id}/study-time?date=2025-04-25"
    assert client.get(url, headers=auth(people.mentor)).status_code == 404
