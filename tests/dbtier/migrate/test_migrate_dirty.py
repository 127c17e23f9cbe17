"""Dirty state: a half-applied MariaDB migration blocks later runs until a stamp or repair.

PostgreSQL rolls the failed revision back whole, so it is never dirty: the
next run simply tries again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from dbtier.cli import app
from dbtier.migrate import run_job

if TYPE_CHECKING:
    from tests.dbtier.migrate.conftest import JobDatabase

FIXED = "DBTIER_TEST_MIGRATION_FIXED"


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(app, ["migrate", *args])


def _execute(job_db: JobDatabase, *statements: str) -> None:
    engine = job_db.engine()
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


@pytest.mark.parametrize("backend", ["mysql"])
def test_half_applied_migration_blocks_runs_until_undone_and_stamped(
    job_db: JobDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = job_db.project("dirty")
    failed = run_job(job_db.settings(), config=project)
    assert (failed.status, failed.dirty_revision) == ("failed", "d0002")
    assert job_db.versions() == ["d0001"]
    assert job_db.has_table("ledger")  # committed by MariaDB before the failure

    refused = run_job(job_db.settings(), config=project)
    assert (refused.status, refused.exit_code) == ("refused", 1)
    assert refused.error is not None
    assert "the database is dirty: revision d0002" in refused.error
    assert "CREATE TABLE ledger" in refused.error  # what the dirty run had run
    assert "dbtier migrate repair" in refused.error
    assert "dbtier migrate stamp d0001" in refused.error
    assert job_db.versions() == ["d0001"]

    url = ["--database-url", job_db.url_text, "--alembic-config", str(project)]
    by_cli = _invoke("run", *url)
    assert by_cli.exit_code == 1
    assert "the database is dirty" in by_cli.output
    status = _invoke("status", *url)
    assert "dirty:   revision d0002" in status.output

    # The operator undoes the statements, fixes the migration, stamps where the schema is.
    _execute(job_db, "DROP TABLE ledger", "DELETE FROM accounts WHERE id = 1")
    stamped = _invoke("stamp", "d0001", *url)
    assert stamped.exit_code == 0, stamped.output
    assert "dirty state resolved" in stamped.output
    monkeypatch.setenv(FIXED, "1")
    done = run_job(job_db.settings(), config=project)
    assert (done.status, done.to_rev, done.applied) == ("succeeded", "d0002", ("d0002",))
    assert done.drift == ()
    assert job_db.statuses() == {"failed": 1, "refused": 2, "succeeded": 2}


@pytest.mark.parametrize("backend", ["mysql"])
def test_repair_checks_the_schema_before_resolving(job_db: JobDatabase) -> None:
    project = job_db.project("dirty")
    assert run_job(job_db.settings(), config=project).dirty_revision == "d0002"
    url = ["--database-url", job_db.url_text, "--alembic-config", str(project)]

    not_yet = _invoke("repair", *url)
    assert not_yet.exit_code == 1
    assert "does not match d0002" in not_yet.output
    assert "ledger.amount: column in the models, not in the database" in not_yet.output
    assert run_job(job_db.settings(), config=project).status == "refused"

    _execute(job_db, "ALTER TABLE ledger ADD COLUMN amount INTEGER")  # finished by hand
    repaired = _invoke("repair", *url)
    assert repaired.exit_code == 0, repaired.output
    assert "stamped d0002" in repaired.output
    assert job_db.versions() == ["d0002"]
    assert run_job(job_db.settings(), config=project).status == "noop"
    assert "not dirty: nothing to repair" in _invoke("repair", *url).output
    kinds = job_db.scalars(
        "SELECT CONCAT(kind, ':', status) FROM dbtier_migration_runs ORDER BY started_at"
    )
    assert kinds == [
        "upgrade:failed",
        "repair:failed",
        "upgrade:refused",
        "repair:succeeded",
        "upgrade:noop",
    ]


@pytest.mark.parametrize("backend", ["postgres"])
def test_postgresql_rolls_back_and_is_not_dirty(
    job_db: JobDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = job_db.project("dirty")
    failed = run_job(job_db.settings(), config=project)
    assert (failed.status, failed.dirty_revision) == ("failed", None)
    assert not job_db.has_table("ledger")
    again = run_job(job_db.settings(), config=project)
    assert again.status == "failed"  # tried again, not refused
    monkeypatch.setenv(FIXED, "1")
    assert run_job(job_db.settings(), config=project).status == "succeeded"
    assert job_db.scalars(
        "SELECT count(*) FROM dbtier_migration_runs WHERE dirty_revision IS NOT NULL"
    ) == [0]
