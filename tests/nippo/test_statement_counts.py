"""SQL statements per request: a report read and a study-time query take at most two each.

Counted with SQLAlchemy's `before_cursor_execute` event on the engine the app
uses, through the whole HTTP request (token lookup and authorization included).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from nippo_helpers import SEED_DATE, SEED_ORIGINAL, People, auth, markdown
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from nippo.auth import CALLER_TOKEN, Caller
from nippo.service import get_report
from nippo.service.feedback import _VISIBLE_FEEDBACK
from nippo.study_time import _SCOPED, _UNSCOPED, study_time


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """Collect every SQL statement the engine sends while the block runs."""
    statements: list[str] = []

    def before(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _seed_and_history(client: TestClient, people: People) -> int:
    seed = client.post(
        f"/api/v1/reports/import?date={SEED_DATE}&keep_declared_totals=true",
        content=SEED_ORIGINAL.read_bytes(),
        headers=markdown(people.learner),
    )
    assert seed.status_code == 201, seed.text
    # More history, so a query that loaded reports one by one would show.
    for days in range(1, 8):
        day = dt.date.fromisoformat(SEED_DATE) - dt.timedelta(days=days)
        body = {"date": day.isoformat(), "title": "day", "tasks": [{"title": "t", "minutes": 15}]}
        created = client.post("/api/v1/reports", json=body, headers=auth(people.learner))
        assert created.status_code == 201, created.text
    report_id: int = seed.json()["id"]
    return report_id


def test_report_read_and_study_time_take_at_most_two_statements(
    client: TestClient, engine: Engine, people: People
) -> None:
    report_id = _seed_and_history(client, people)
    read = f"/api/v1/reports/{report_id}"
    totals = f"/api/v1/learners/{people.learner_id}/study-time?date={SEED_DATE}"
    client.get(read, headers=auth(people.mentor))  # warm the pool: first-connect queries
    for token in (people.learner, people.mentor):
        with counting(engine) as statements:
            response = client.get(read, headers=auth(token))
        assert response.status_code == 200
        assert len(response.json()["tasks"]) == 3
        print(f"report read: {len(statements)} statements")
        assert len(statements) <= 2, statements
        with counting(engine) as statements:
            response = client.get(totals, headers=auth(token))
        assert response.status_code == 200
        assert response.json()["today_minutes"] == 370
        assert response.json()["week_minutes"] == 1180 + 15 * 4  # Mon..Thu before the seed
        print(f"study time: {len(statements)} statements")
        assert len(statements) <= 2, statements
        with counting(engine) as statements:  # no date: the learner's today
            response = client.get(totals.split("?")[0], headers=auth(token))
        assert response.status_code == 200
        print(f"study time today: {len(statements)} statements")
        assert len(statements) <= 2, statements


def test_study_time_is_one_aggregate_statement(
    client: TestClient, engine: Engine, people: People
) -> None:
    _seed_and_history(client, people)
    with Session(engine) as session, counting(engine) as statements:
        value = study_time(session, people.learner_id, dt.date.fromisoformat(SEED_DATE))
    assert (value.today_minutes, value.week_minutes, value.total_minutes) == (
        370,
        1180 + 60,
        1885 + 105,
    )
    assert len(statements) == 1
    sql = statements[0].upper()
    assert "SUM(" in sql and "CASE" in sql and "UNION ALL" in sql
    # The total is the running total of the latest report on or before the date (one seek),
    # not a sum over every report: the summed tasks are the week's only.
    assert "MINUTES_THROUGH" in sql and "BETWEEN" in sql


def test_service_report_read_is_two_statements(
    client: TestClient, engine: Engine, people: People
) -> None:
    report_id = _seed_and_history(client, people)
    with Session(engine) as session, counting(engine) as statements:
        report = get_report(session, Caller.from_token(people.learner), report_id)
        titles = [task.title for task in report.tasks]
        headings = [section.heading for section in report.sections]
    assert titles == ["LT会", "ULT会", "ハッカソン"]
    assert headings
    assert len(statements) == 2, statements


@pytest.mark.parametrize("url", ["mariadb+mysqldb://u@h/db", "postgresql+psycopg://u@h/db"])
def test_the_hot_reads_bind_their_values_and_nothing_else(url: str) -> None:
    # A driver that interpolates on the client (mysqlclient) escapes every bound value on
    # every execution; constants are written into the SQL (docs/performance.md). SQLite
    # is left out: its dialect binds the OFFSET of a LIMIT, and sqlite3 escapes nothing.
    dialect = create_engine(url).dialect  # no connection is made
    study = set(_SCOPED.compile(dialect=dialect).params)
    assert study == {"learner_id", "on", "monday", CALLER_TOKEN.key}
    assert set(_UNSCOPED.compile(dialect=dialect).params) == {"learner_id", "on", "monday"}
    feedback = set(_VISIBLE_FEEDBACK.compile(dialect=dialect).params)
    assert feedback == {"report_id", CALLER_TOKEN.key}
