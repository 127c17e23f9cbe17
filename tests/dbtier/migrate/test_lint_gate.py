"""The lint gate in `dbtier migrate run`, on SQLite, MariaDB and PostgreSQL.

- an unreviewed blocking migration is refused (history `refused`, exit 1, the
  findings in the JSON log) and nothing of it runs; an allowance without a
  reason is refused too; with a reviewed allowance the same migration runs;
- the deployed-code check: dropping a column the deployed models read is
  refused; the expand/contract version of the change passes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Column, Integer, MetaData, String, Table

from dbtier.migrate import run_job
from dbtier.migrate.lint import manifest_of

PROJECTS = Path(__file__).resolve().parents[2] / "data" / "alembic_projects"

ALLOWANCE = (
    "# dbtier: allow DROP-COLUMN, PG-INDEX-NOT-CONCURRENT because reviewed: nothing reads "
    "items.legacy since v3, and items stays small"
)


def _copy_project(name: str, tmp_path: Path) -> Path:
    root = tmp_path / "projects"
    shutil.copytree(PROJECTS / "env", root / "env")
    shutil.copytree(PROJECTS / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    return root / name / "alembic.ini"


def _log_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def _run_cli(job_db: Any, ini: Path) -> tuple[int, list[dict[str, Any]], str]:
    proc = job_db.cli(["migrate", "run", "--alembic-config", str(ini)])
    stdout, stderr = proc.communicate(timeout=300)
    return proc.returncode, _log_lines(stdout), stderr


@pytest.mark.slow  # a CLI subprocess plus three job runs: 25-40 s a backend on a loaded machine
def test_gate_refuses_unreviewed_migration_and_runs_it_once_allowed(
    job_db: Any, tmp_path: Path
) -> None:
    ini = _copy_project("gate", tmp_path)
    revision_file = ini.parent / "versions" / "g0002_drop.py"

    code, lines, stderr = _run_cli(job_db, ini)
    assert code == 1, stderr
    [lint] = [line for line in lines if line.get("step") == "lint" and "findings" in line]
    rules = {f["rule"] for f in lint["findings"] if f["severity"] == "blocking"}
    expected = {"DROP-COLUMN"} | (
        {"PG-INDEX-NOT-CONCURRENT"} if job_db.backend == "postgres" else set()
    )
    assert rules == expected
    assert all(f["revision"] == "g0002" and f["safe_alternative"] for f in lint["findings"])
    assert "refused" in stderr and "DROP-COLUMN" in stderr
    assert job_db.statuses() == {"refused": 1}
    assert not job_db.has_table("items")  # nothing of the pending set ran

    revision_file.write_text(revision_file.read_text() + "# dbtier: allow DROP-COLUMN\n")
    refused = run_job(job_db.settings(), config=ini)
    assert refused.status == "refused" and refused.exit_code == 1
    assert "ALLOW-INVALID" in (refused.error or "")

    text = revision_file.read_text().replace("# dbtier: allow DROP-COLUMN\n", ALLOWANCE + "\n")
    revision_file.write_text(text)
    result = run_job(job_db.settings(), config=ini)
    assert (result.status, result.to_rev, result.exit_code) == ("succeeded", "g0002", 0)
    assert job_db.versions() == ["g0002"]
    assert job_db.statuses() == {"refused": 2, "succeeded": 1}


def _manifest(tmp_path: Path, revision: str, *, with_legacy: bool) -> Path:
    metadata = MetaData()
    columns: list[Column[Any]] = [
        Column("id", Integer, primary_key=True),
        Column("body", String(200)),
    ]
    if with_legacy:
        columns.append(Column("legacy", String(50)))
    Table("notes", metadata, *columns)
    path = tmp_path / f"deployed-{revision}-{with_legacy}.json"
    path.write_text(json.dumps(manifest_of(metadata, revision)))
    return path


def _upgrade_to(job_db: Any, ini: Path, revision: str) -> None:
    config = Config(str(ini))
    config.set_main_option("sqlalchemy.url", job_db.url_text.replace("%", "%%"))
    command.upgrade(config, revision)


def test_dropping_a_column_the_deployed_models_read_is_refused(job_db: Any, tmp_path: Path) -> None:
    ini = job_db.project("dropcol")
    _upgrade_to(job_db, ini, "d0001")
    deployed = _manifest(tmp_path, "d0001", with_legacy=True)

    result = run_job(job_db.settings(deployed_manifest=deployed), config=ini)
    assert (result.status, result.exit_code) == ("refused", 1)
    assert "COMPAT-DROPPED-COLUMN" in (result.error or "")
    assert "notes.legacy" in (result.error or "")
    assert job_db.versions() == ["d0001"]


def test_expand_contract_version_passes(job_db: Any, tmp_path: Path) -> None:
    ini = job_db.project("expand")
    _upgrade_to(job_db, ini, "e0002")  # expand ran on an earlier night

    # The image still running reads `legacy`: the contract step must wait.
    old_code = _manifest(tmp_path, "e0001", with_legacy=True)
    waiting = run_job(job_db.settings(deployed_manifest=old_code), config=ini)
    assert waiting.status == "refused"
    assert "COMPAT-DROPPED-COLUMN" in (waiting.error or "")

    # Code that no longer maps `legacy` is deployed: the contract step runs.
    new_code = _manifest(tmp_path, "e0002", with_legacy=False)
    result = run_job(job_db.settings(deployed_manifest=new_code), config=ini)
    assert (result.status, result.to_rev) == ("succeeded", "e0003")
    assert job_db.versions() == ["e0003"]


@pytest.mark.parametrize("backend", ["mysql"])
def test_foreign_key_on_a_small_table_runs_on_mariadb(job_db: Any) -> None:
    ini = job_db.project("fk")
    _upgrade_to(job_db, ini, "k0001")
    result = run_job(job_db.settings(), config=ini)  # the gate reads InnoDB row estimates
    assert (result.status, result.to_rev) == ("succeeded", "k0002")
