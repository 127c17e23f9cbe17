"""The job on each engine: applies, records, does nothing when up to date, steps aside."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from dbtier.migrate import JobResult, run_job
from dbtier.migrate.lock import lock_for

if TYPE_CHECKING:
    from tests.dbtier.migrate.conftest import JobDatabase


def test_applies_to_head_then_noop(job_db: JobDatabase, capsys: pytest.CaptureFixture[str]) -> None:
    slow = job_db.project("slow")
    first = run_job(job_db.settings(), config=slow, trigger_id="t-1")
    assert (first.status, first.exit_code) == ("succeeded", 0)
    assert first.applied == ("s0001", "s0002", "s0003")
    assert (first.from_rev, first.to_rev) == (None, "s0003")
    second = run_job(job_db.settings(), config=slow)
    assert (second.status, second.exit_code, second.to_rev) == ("noop", 0, "s0003")
    assert job_db.versions() == ["s0003"]
    assert job_db.statuses() == {"succeeded": 1, "noop": 1}
    assert job_db.has_table("slow_done")

    lines = capsys.readouterr().out.splitlines()
    steps = [json.loads(line).get("step") for line in lines if not line.startswith('{"_aws"')]
    for step in ("connect", "lock", "timeouts", "pending", "migration", "record", "done"):
        assert step in steps
    metrics = [json.loads(line) for line in lines if line.startswith('{"_aws"')]
    assert [m["status"] for m in metrics] == ["succeeded", "noop"]


def test_skips_while_another_session_holds_the_lock(job_db: JobDatabase) -> None:
    engine = job_db.engine()
    with engine.connect() as other:
        lock = lock_for(other)
        assert lock.acquire(0)
        result = run_job(job_db.settings(), config=job_db.project("slow"), lock_wait=0.2)
        lock.release()
    engine.dispose()
    assert (result.status, result.exit_code, result.applied) == ("skipped", 0, ())
    assert job_db.statuses() == {"skipped": 1}
    assert not job_db.has_table("alembic_version")


def test_failed_migration_is_recorded_with_its_revision(job_db: JobDatabase) -> None:
    result: JobResult = run_job(job_db.settings(), config=job_db.project("failing"))
    assert (result.status, result.exit_code) == ("failed", 1)
    assert result.applied == ("f0001",)
    assert result.error is not None
    assert "migration f0002" in result.error
    assert "ALTER TABLE no_such_table" in result.error
    assert job_db.versions() == ["f0001"]
    assert job_db.statuses() == {"failed": 1}
    [error] = job_db.scalars("SELECT error FROM dbtier_migration_runs")
    assert "f0002" in error
    if job_db.backend == "postgres":
        # transactional DDL: the whole revision rolled back
        assert "rolled back" in result.error
        assert not job_db.has_table("ledger")
    else:
        assert "CREATE TABLE ledger" in result.error
        assert "INSERT INTO accounts" in result.error
        assert "dbtier migrate stamp f0002" in result.error
        assert job_db.has_table("ledger")


def test_a_dead_runners_row_is_closed_by_the_next_run(job_db: JobDatabase) -> None:
    run_job(job_db.settings(), config=job_db.project("slow"))
    engine = job_db.engine()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO dbtier_migration_runs (run_id, started_at, status) "
                "VALUES ('dead-run', '2026-01-01 00:00:00', 'running')"
            )
        )
    engine.dispose()
    assert run_job(job_db.settings(), config=job_db.project("slow")).status == "noop"
    [status] = job_db.scalars("SELECT status FROM dbtier_migration_runs WHERE run_id = 'dead-run'")
    assert status == "failed"


def test_default_project_is_nippos_migrations(job_db: JobDatabase) -> None:
    from alembic.script import ScriptDirectory

    from nippo.migrations import alembic_config

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    result = run_job(job_db.settings())
    assert result.status == "succeeded", result.error
    assert job_db.versions() == heads


@pytest.mark.parametrize("backend", ["postgres"])
def test_connection_killed_mid_migration_is_recorded_as_failed(
    job_db: JobDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time

    started, release = tmp_path / "started", tmp_path / "release"
    monkeypatch.setenv("DBTIER_TEST_STARTED_FILE", str(started))
    monkeypatch.setenv("DBTIER_TEST_RELEASE_FILE", str(release))
    outcome: list[JobResult] = []
    job = threading.Thread(
        target=lambda: outcome.append(run_job(job_db.settings(), config=job_db.project("slow")))
    )
    job.start()
    deadline = time.monotonic() + 60
    while not started.exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    engine = job_db.engine()
    with engine.connect() as admin:  # the database kills the job's session (failover, DBA)
        admin.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    engine.dispose()
    release.touch()
    job.join(timeout=60)
    [result] = outcome
    assert (result.status, result.exit_code) == ("failed", 1)
    assert "s0002" in (result.error or "")
    assert job_db.statuses() == {"failed": 1}
    monkeypatch.delenv("DBTIER_TEST_RELEASE_FILE")
    assert run_job(job_db.settings(), config=job_db.project("slow")).status == "succeeded"
