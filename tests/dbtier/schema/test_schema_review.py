"""`dbtier schema review` on nippo's schema (no error, three backends) and on a bad schema."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dbtier.cli import app
from dbtier.schema import review_schema
from dbtier.schema.checks import Finding
from dbtier.schema.models import load_models
from nippo.migrations import upgrade_to_head
from nippo.models import Report, ReportTask, User

DAYS = 30


def _fill(url: URL) -> None:
    """Thirty days of reports, two tasks each, for one learner."""
    engine = create_engine(url)
    start = dt.datetime(2026, 10, 1, 21, 0, tzinfo=dt.UTC)
    with Session(engine) as session:
        learner = User(name="alice", role="learner", token_hash="a" * 64, created_at=start)
        session.add(learner)
        session.flush()
        for day in range(DAYS):
            at = start + dt.timedelta(days=day)
            report = Report(
                learner_id=learner.id,
                report_date=at.date(),
                title="日報",
                created_at=at,
                updated_at=at,
            )
            report.tasks = [
                ReportTask(position=i, title=f"task {i}", minutes=60, notes=[]) for i in range(2)
            ]
            session.add(report)
        session.commit()
    engine.dispose()


def _url_string(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def test_nippo_at_head_has_no_error_and_grows_from_its_timestamps(database_url: URL) -> None:
    upgrade_to_head(database_url)
    _fill(database_url)
    engine = create_engine(database_url)
    try:
        report = review_schema(engine, models=load_models("nippo"), storage_gib=20)
    finally:
        engine.dispose()
    assert report.errors == [], [f.message for f in report.errors]
    growth = {t.table: t for t in report.capacity.tables}
    # 30 reports over 29 days; tasks follow their report at two per report.
    assert growth["reports"].rows == DAYS
    assert growth["reports"].rows_per_day == pytest.approx(DAYS / (DAYS - 1), rel=0.01)
    assert growth["report_tasks"].rows_per_day == pytest.approx(2 * DAYS / (DAYS - 1), rel=0.01)
    assert "report_tasks" not in {t.table for t in report.capacity.tables if t.rows_per_day is None}
    assert "erDiagram" in report.mermaid
    assert 'users ||--o{ reports : "learner_id"' in report.mermaid
    assert "alembic_version" not in report.mermaid


def test_the_cli_prints_json_and_exits_0_on_nippo(database_url: URL) -> None:
    upgrade_to_head(database_url)
    result = CliRunner().invoke(
        app, ["schema", "review", "--database-url", _url_string(database_url), "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert {t["table"] for t in body["tables"]} >= {"users", "reports", "report_tasks"}
    assert [f for f in body["findings"] if f["level"] == "error"] == []
    assert body["er_mermaid"].startswith("erDiagram")


BAD_COMMON = [
    "CREATE TABLE parents (id INTEGER PRIMARY KEY, name VARCHAR(20))",
    # no primary key
    "CREATE TABLE audit_log (message VARCHAR(100), at_time INTEGER)",
    # a foreign key that no index leads (MySQL would add one itself: see the MariaDB case)
    "CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER, "
    "FOREIGN KEY (parent_id) REFERENCES parents (id))",
]


def _rules(report_findings: Sequence[Finding]) -> set[tuple[str, str, str]]:
    return {(f.rule, f.level, f.table) for f in report_findings}


def test_a_bad_sqlite_schema_is_found(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/bad.sqlite3"
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in BAD_COMMON:
            conn.execute(text(statement))
    report = review_schema(engine)
    engine.dispose()
    found = _rules(report.findings)
    assert ("primary-key", "error", "audit_log") in found
    assert ("foreign-key-index", "error", "children") in found


@pytest.mark.parametrize("backend", ["mysql"])
def test_a_bad_mariadb_schema_is_found(database_url: URL) -> None:
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE parents (id INT PRIMARY KEY, name VARCHAR(20))"))
        conn.execute(text("CREATE TABLE audit_log (message VARCHAR(100))"))
        conn.execute(
            text("CREATE TABLE legacy (id INT PRIMARY KEY, name VARCHAR(20)) CHARACTER SET latin1")
        )
        conn.execute(text("CREATE TABLE counters (id INT AUTO_INCREMENT PRIMARY KEY, n INT)"))
        conn.execute(text("INSERT INTO counters (id, n) VALUES (2000000000, 1)"))
        conn.execute(text("CREATE TABLE tagged (id INT PRIMARY KEY, a INT, b INT)"))
        conn.execute(text("CREATE INDEX ix_tagged_a ON tagged (a)"))
        conn.execute(text("CREATE INDEX ix_tagged_a_again ON tagged (a)"))
    report = review_schema(engine)
    engine.dispose()
    found = _rules(report.findings)
    assert ("primary-key", "error", "audit_log") in found
    assert ("utf8mb4", "error", "legacy") in found
    assert ("integer-key-capacity", "error", "counters") in found
    assert ("duplicate-index", "warning", "tagged") in found
    capacity = next(f for f in report.findings if f.rule == "integer-key-capacity")
    assert capacity.evidence["current"] == 2_000_000_000
    assert capacity.evidence["type_max"] == 2**31 - 1


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_bad_postgres_schema_is_found(database_url: URL) -> None:
    engine = create_engine(database_url)
    with engine.begin() as conn:
        for statement in BAD_COMMON:
            conn.execute(text(statement.replace("INTEGER PRIMARY KEY", "SERIAL PRIMARY KEY")))
        conn.execute(text("CREATE TABLE events (id SERIAL PRIMARY KEY, at TIMESTAMP NOT NULL)"))
        conn.execute(text("SELECT setval('events_id_seq', 2100000000)"))
    report = review_schema(engine)
    engine.dispose()
    found = _rules(report.findings)
    assert ("primary-key", "error", "audit_log") in found
    assert ("foreign-key-index", "error", "children") in found
    assert ("timestamp-time-zone", "error", "events") in found
    assert ("integer-key-capacity", "error", "events") in found


def test_model_constraints_missing_in_the_database_are_errors(database_url: URL) -> None:
    """The models say NOT NULL and UNIQUE; a hand-made table that lacks both is caught."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100), "
                "role VARCHAR(16) NOT NULL, timezone VARCHAR(64) NOT NULL, "
                "token_hash VARCHAR(64) NOT NULL, created_at DATE NOT NULL)"
            )
        )
    report = review_schema(engine, models=load_models("nippo"))
    engine.dispose()
    found = _rules(report.findings)
    assert ("declared-not-null", "error", "users") in found
    assert ("declared-unique", "error", "users") in found
    assert ("model-table-missing", "error", "reports") in found


def test_capacity_past_the_storage_is_an_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/big.sqlite3"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, created_at DATE, pad TEXT)"))
        conn.execute(
            text("INSERT INTO t (created_at, pad) VALUES (:d, :p)"),
            [{"d": f"2026-01-0{1 + i % 2}", "p": "x" * 2_000} for i in range(200)],
        )
    # 200 rows of ~2 KB in one day: ~150 MB in a year against 0.1 GiB of storage.
    report = review_schema(engine, storage_gib=0.1)
    engine.dispose()
    assert ("capacity", "error", "") in _rules(report.findings)


def test_bad_flags_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["schema", "review", "--data-dir", str(tmp_path), "-f", "xml"])
    assert result.exit_code == 2
    assert "--format" in result.output
    result = runner.invoke(
        app, ["schema", "review", "--data-dir", str(tmp_path), "--models", "no.such:thing"]
    )
    assert result.exit_code == 2
    assert "--models no.such:thing" in result.output
