"""Drift: a manual ALTER TABLE after the job reached head is reported, named, and recorded."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy import text
from typer.testing import CliRunner, Result

from dbtier.cli import app
from dbtier.migrate import run_job

if TYPE_CHECKING:
    from tests.dbtier.migrate.conftest import JobDatabase

# A hand-made change per engine: a column, an index, and (where the engine can) a narrower type.
MANUAL_CHANGES = {
    "sqlite": [
        "ALTER TABLE reports ADD COLUMN mood VARCHAR(20)",
        "CREATE INDEX ix_by_hand ON report_tasks (title)",
    ],
    "mysql": [
        "ALTER TABLE reports ADD COLUMN mood VARCHAR(20)",
        "CREATE INDEX ix_by_hand ON report_tasks (title)",
        "ALTER TABLE report_tasks MODIFY title VARCHAR(200) NOT NULL",
    ],
    "postgres": [
        "ALTER TABLE reports ADD COLUMN mood VARCHAR(20)",
        "CREATE INDEX ix_by_hand ON report_tasks (title)",
        "ALTER TABLE report_tasks ALTER COLUMN title TYPE VARCHAR(200)",
    ],
}


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(app, ["migrate", *args])


def test_nippo_at_head_has_no_drift_then_a_manual_alter_is_reported(job_db: JobDatabase) -> None:
    url = ["--database-url", job_db.url_text]
    first = run_job(job_db.settings())
    assert first.status == "succeeded"
    assert first.drift == ()  # checked at head: nothing differs
    clean = _invoke("drift", *url)
    assert clean.exit_code == 0, clean.output
    assert "drift: none" in clean.output

    engine = job_db.engine()
    with engine.begin() as conn:
        for statement in MANUAL_CHANGES[job_db.backend]:
            conn.execute(text(statement))
    engine.dispose()

    drifted = _invoke("drift", *url, "--json")
    assert drifted.exit_code == 1, drifted.output
    found = {(d["table"], d["name"]): d for d in json.loads(drifted.output)["differences"]}
    assert found[("reports", "mood")]["detail"] == "column in the database, not in the models"
    assert found[("report_tasks", "ix_by_hand")]["kind"] == "remove_index"
    if job_db.backend != "sqlite":
        title = found[("report_tasks", "title")]
        assert title["kind"] == "modify_type"
        assert "VARCHAR(200) in the database, VARCHAR(500) in the models" in title["detail"]
    assert not any(table == "dbtier_migration_runs" for table, _ in found)

    status = _invoke("status", *url)
    assert status.exit_code == 0, status.output
    assert "reports.mood: column in the database, not in the models" in status.output

    again = run_job(job_db.settings())
    assert again.status == "noop"
    assert again.drift is not None
    assert {(d.table, d.name) for d in again.drift} == set(found)
    [recorded] = job_db.scalars("SELECT drift FROM dbtier_migration_runs WHERE status = 'noop'")
    assert {(d["table"], d["name"]) for d in json.loads(recorded)} == set(found)
    history = _invoke("history", *url)
    assert "noop (drift)" in history.output


def test_drift_without_models_is_a_usage_error(job_db: JobDatabase) -> None:
    slow = str(job_db.project("slow"))
    result = _invoke("drift", "--alembic-config", slow, "--database-url", job_db.url_text)
    assert result.exit_code == 2
    assert "no target_metadata" in result.output
