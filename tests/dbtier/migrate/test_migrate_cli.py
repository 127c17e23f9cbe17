"""`dbtier migrate ...`: exit codes, messages, and the read-only commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner, Result

from dbtier.cli import app

if TYPE_CHECKING:
    from tests.dbtier.migrate.conftest import JobDatabase


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(app, ["migrate", *args])


@pytest.mark.parametrize("backend", ["mysql"])
def test_failing_migration_on_mariadb_exits_1_naming_revision_and_statements(
    job_db: JobDatabase,
) -> None:
    runner = job_db.cli(["migrate", "run", "--alembic-config", str(job_db.project("failing"))])
    out, err = runner.communicate(timeout=120)
    assert runner.returncode == 1, err
    assert "migration f0002" in err
    assert "failed on mariadb" in err
    assert "1. CREATE TABLE ledger" in err
    assert "2. INSERT INTO accounts (id, name) VALUES (1, 'opening balance')" in err
    assert "ALTER TABLE no_such_table" in err  # the failing statement
    assert "dbtier migrate stamp f0002" in err  # how to recover
    assert job_db.emf_status(out) == "failed"
    assert job_db.statuses() == {"failed": 1}
    [error] = job_db.scalars("SELECT error FROM dbtier_migration_runs")
    assert "f0002" in error
    assert "CREATE TABLE ledger" in error
    assert job_db.versions() == ["f0001"]


def test_stamp_after_a_manual_recovery_then_run_is_a_noop(job_db: JobDatabase) -> None:
    failing = str(job_db.project("failing"))
    url = ["--database-url", job_db.url_text]
    assert _invoke("run", "--alembic-config", failing, *url).exit_code == 1
    stamped = _invoke("stamp", "f0002", "--alembic-config", failing, *url)
    assert stamped.exit_code == 0, stamped.output
    assert "f0002" in stamped.output
    assert job_db.versions() == ["f0002"]
    assert _invoke("run", "--alembic-config", failing, *url).exit_code == 0
    # The stamp is recorded as a run of its own.
    assert job_db.statuses() == {"failed": 1, "succeeded": 1, "noop": 1}
    assert sorted(job_db.scalars("SELECT kind FROM dbtier_migration_runs")) == [
        "stamp",
        "upgrade",
        "upgrade",
    ]


def test_status_plan_and_history(job_db: JobDatabase) -> None:
    slow = str(job_db.project("slow"))
    url = ["--database-url", job_db.url_text]

    before = _invoke("status", "--alembic-config", slow, *url, "--json")
    assert before.exit_code == 0, before.output
    state = json.loads(before.output)
    assert state["current"] == []
    assert [p["revision"] for p in state["pending"]] == ["s0001", "s0002", "s0003"]

    plan = _invoke("plan", "--alembic-config", slow, *url)
    assert plan.exit_code == 0, plan.output
    assert "CREATE TABLE items" in plan.output
    assert "CREATE INDEX" in plan.output
    assert not job_db.has_table("items")  # plan runs nothing

    assert _invoke("run", "--alembic-config", slow, *url, "--trigger-id", "t-9").exit_code == 0

    after = _invoke("status", "--alembic-config", slow, *url)
    assert after.exit_code == 0, after.output
    assert "pending: none (up to date)" in after.output
    assert "succeeded" in after.output

    listed = _invoke("history", *url, "--json")
    assert listed.exit_code == 0, listed.output
    [run] = json.loads(listed.output)
    assert (run["status"], run["trigger_id"], run["to_revision"]) == ("succeeded", "t-9", "s0003")

    assert "nothing pending" in _invoke("plan", "--alembic-config", slow, *url).output


def test_plan_offline_from_base_needs_no_database(tmp_path: Path) -> None:
    from pathlib import Path

    slow = Path(__file__).resolve().parents[2] / "data/alembic_projects/slow/alembic.ini"
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    result = _invoke("plan", "--alembic-config", str(slow), "--database-url", url, "--from", "base")
    assert result.exit_code == 0, result.output
    assert "BEGIN;" in result.output  # PostgreSQL's transactional DDL
    assert "CREATE INDEX CONCURRENTLY" in result.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--scheduled-time", "yesterday"], "--scheduled-time 'yesterday'"),
        (["--alembic-config", "/nonexistent/alembic.ini"], "no such file"),
        (["--lock-wait", "-1"], "--lock-wait"),
    ],
)
def test_bad_input_exits_2(tmp_path: Path, args: list[str], needle: str) -> None:
    result = _invoke("run", "--data-dir", str(tmp_path), *args)
    assert result.exit_code == 2
    assert needle in result.output


def test_unreachable_database_exits_3_after_retries(capfd: pytest.CaptureFixture[str]) -> None:
    url = "mysql+pymysql://root@127.0.0.1:1/none"  # nothing listens on port 1
    result = _invoke("run", "--database-url", url, "--connect-retries", "1")
    assert result.exit_code == 3
    assert "did not answer after 2 attempts" in result.output
    assert '"status":"unreachable"' in result.output


def test_help_documents_exit_codes() -> None:
    result = _invoke("run", "--help")
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for code in ("0 succeeded", "1 a migration failed", "2 usage", "3 database unreachable"):
        assert code in text
