"""Backup, write more, restore, verify: the restore drill on SQLite, MariaDB and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dbtier.backup import last_drill, restore_backup, restore_drill, take_backup
from dbtier.backup.engines import count_rows, strategy_for
from dbtier.cli import app
from dbtier.errors import UsageError
from nippo.migrations import upgrade_to_head
from nippo.service.users import create_user


def _people(url: URL, *names: str) -> None:
    engine = create_engine(url)
    with Session(engine) as session:
        for name in names:
            create_user(session, name, "learner")
    engine.dispose()


def _counts(url: URL) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return count_rows(conn)
    finally:
        engine.dispose()


def test_backup_write_more_then_the_drill_restores_the_backup_and_passes(
    database_url: URL, tmp_path: Path
) -> None:
    upgrade_to_head(database_url)
    _people(database_url, "alice", "dave")
    manifest, _ = take_backup(database_url, tmp_path / "backups")
    assert manifest.row_counts["users"] == 2
    assert manifest.revision is not None
    _people(database_url, "erin")  # written after the backup: not in it

    result = restore_drill(database_url, tmp_path / "backups")

    assert result.passed, result.checks
    assert {c["check"] for c in result.checks} == {
        "alembic revision",
        "row counts",
        "service /readyz",
    }
    assert last_drill(tmp_path / "backups") == json.loads(json.dumps(result.as_dict()))
    assert _counts(database_url)["users"] == 3  # the source is untouched


def test_restore_into_an_empty_database_gives_the_backup_rows(
    database_url: URL, second_database_url: URL, tmp_path: Path
) -> None:
    upgrade_to_head(database_url)
    _people(database_url, "alice")
    _, manifest_path = take_backup(database_url, tmp_path / "backups")
    _people(database_url, "bob")

    restore_backup(manifest_path, second_database_url)

    assert _counts(second_database_url)["users"] == 1
    with pytest.raises(UsageError, match="already has tables"):
        restore_backup(manifest_path, second_database_url)


def test_a_damaged_backup_fails_the_drill_and_is_recorded(
    database_url: URL, tmp_path: Path
) -> None:
    upgrade_to_head(database_url)
    manifest, _ = take_backup(database_url, tmp_path / "backups")
    path = tmp_path / "backups" / manifest.file
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")

    result = restore_drill(database_url, tmp_path / "backups")

    assert not result.passed
    assert "SHA-256" in result.checks[-1]["detail"]
    recorded = last_drill(tmp_path / "backups")
    assert recorded is not None and recorded["passed"] is False
    scratch = strategy_for(database_url).scratch_url(database_url, "x")
    assert scratch.database != database_url.database


def test_the_cli_backs_up_and_drills_the_embedded_default(tmp_path: Path) -> None:
    runner = CliRunner()
    data = str(tmp_path / "data")
    created = runner.invoke(
        app, ["users", "create", "--data-dir", data, "--name", "alice", "--role", "learner"]
    )
    assert created.exit_code == 0, created.output
    backed = runner.invoke(app, ["db", "backup", "--data-dir", data])
    assert backed.exit_code == 0, backed.output
    assert "revision" in backed.output
    drill = runner.invoke(app, ["db", "restore-drill", "--data-dir", data, "--json"])
    assert drill.exit_code == 0, drill.output
    body = json.loads(drill.output[drill.output.index("{\n") :])
    assert body["passed"] is True


def test_the_cli_refuses_a_restore_without_a_backup_and_a_missing_manifest(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["db", "restore", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "BACKUP" in result.output
    result = runner.invoke(app, ["db", "restore-drill", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "no backups" in result.output


@pytest.mark.parametrize("backend", ["mysql"])
def test_the_mysql_manifest_says_its_counts_were_taken_beside_the_dump(
    database_url: URL, tmp_path: Path
) -> None:
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20))"))
        conn.execute(text("INSERT INTO t VALUES (1, '日報'), (2, 'emoji 🎉')"))
    engine.dispose()
    manifest, _ = take_backup(database_url, tmp_path)
    assert manifest.counts_exact is False
    assert manifest.row_counts == {"t": 2}
    assert manifest.file.endswith(".sql.gz")
