"""`dbtier migrate downgrade REV`: the same lock, timeouts and history as a run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner, Result

from dbtier.cli import app
from dbtier.migrate import run_job
from dbtier.migrate.lock import lock_for

if TYPE_CHECKING:
    from tests.dbtier.migrate.conftest import JobDatabase


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(app, ["migrate", *args])


@pytest.fixture
def at_head(job_db: JobDatabase, monkeypatch: pytest.MonkeyPatch) -> JobDatabase:
    monkeypatch.setenv("DBTIER_TEST_MIGRATION_FIXED", "1")
    assert run_job(job_db.settings(), config=job_db.project("dirty")).status == "succeeded"
    return job_db


def test_downgrade_one_step_then_to_base_is_recorded(at_head: JobDatabase) -> None:
    db = at_head
    url = ["--database-url", db.url_text, "--alembic-config", str(db.project("dirty"))]
    one = _invoke("downgrade", *url, "--", "-1")  # "--": -1 is not an option
    assert one.exit_code == 0, one.output
    assert "downgraded d0002 -> d0001 (undid d0002)" in one.output
    assert db.versions() == ["d0001"]
    assert not db.has_table("ledger")

    result = run_job(db.settings(), config=db.project("dirty"), downgrade_to="base")
    assert (result.status, result.kind, result.applied) == ("succeeded", "downgrade", ("d0001",))
    assert (result.from_rev, result.to_rev) == ("d0001", None)
    assert not db.has_table("accounts")

    nothing = run_job(db.settings(), config=db.project("dirty"), downgrade_to="base")
    assert nothing.status == "noop"
    rows = (
        db.scalars(
            "SELECT CONCAT(kind, ':', status, ':', COALESCE(to_revision, 'base')) "
            "FROM dbtier_migration_runs ORDER BY started_at"
        )
        if db.backend != "sqlite"
        else db.scalars(
            "SELECT kind || ':' || status || ':' || COALESCE(to_revision, 'base') "
            "FROM dbtier_migration_runs ORDER BY started_at"
        )
    )
    assert rows == [
        "upgrade:succeeded:d0002",
        "downgrade:succeeded:d0001",
        "downgrade:succeeded:base",
        "downgrade:noop:base",
    ]


def test_downgrade_waits_for_the_lock_like_a_run(at_head: JobDatabase) -> None:
    db = at_head
    engine = db.engine()
    with engine.connect() as other:
        lock = lock_for(other)
        assert lock.acquire(0)
        result = run_job(
            db.settings(), config=db.project("dirty"), downgrade_to="d0001", lock_wait=0.2
        )
        lock.release()
    engine.dispose()
    assert (result.status, result.kind) == ("skipped", "downgrade")
    assert db.versions() == ["d0002"]


@pytest.mark.parametrize(
    ("target", "needle"),
    [
        ("nope", "'nope' is not a revision"),
        ("d0003", "'d0003' is not a revision"),
        ("-5", "didn't produce 5 migrations"),
    ],
)
def test_downgrade_to_an_unknown_revision_exits_2(
    at_head: JobDatabase, target: str, needle: str
) -> None:
    db = at_head
    url = ["--database-url", db.url_text, "--alembic-config", str(db.project("dirty"))]
    result = _invoke("downgrade", *url, "--", target)
    assert result.exit_code == 2
    assert needle in result.output
    assert db.versions() == ["d0002"]


def test_downgrade_to_a_revision_above_the_current_one_exits_2(at_head: JobDatabase) -> None:
    db = at_head
    url = ["--database-url", db.url_text, "--alembic-config", str(db.project("dirty"))]
    assert _invoke("downgrade", "d0001", *url).exit_code == 0
    result = _invoke("downgrade", "d0002", *url)
    assert result.exit_code == 2
    assert "must be a revision below" in result.output
    assert db.versions() == ["d0001"]
