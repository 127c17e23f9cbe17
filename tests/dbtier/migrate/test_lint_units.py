"""Lint pieces: allowances, narrowing, the deployed manifest, the CLI's exit codes, nippo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlglot import exp
from typer.testing import CliRunner

from dbtier.cli import app
from dbtier.errors import ConfigError, UsageError
from dbtier.migrate.lint import DeployedSpec, lint_project, manifest_of, offline_config, target_for
from dbtier.migrate.lint.allowances import apply, read
from dbtier.migrate.lint.compat import narrows
from dbtier.migrate.lint.findings import Finding
from dbtier.migrate.lint.schema import Column as LintColumn
from nippo.migrations import alembic_config

PROJECTS = Path(__file__).resolve().parents[2] / "data" / "alembic_projects"
ENGINES = ["postgresql", "mysql", "mariadb", "sqlite"]


def _revision_file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "r0002_x.py"
    path.write_text("\n".join(['"""x."""', "", *lines, 'TEXT = "# dbtier: allow X"', ""]))
    return path


def test_allowance_with_reason_waives_its_rule(tmp_path: Path) -> None:
    path = _revision_file(
        tmp_path, "# dbtier: allow DROP-COLUMN, RENAME-TABLE because the code stopped in v42"
    )
    allowed, errors = read(path, "r0002")
    assert errors == []
    assert [(a.rule_id, a.reason) for a in allowed] == [
        ("DROP-COLUMN", "the code stopped in v42"),
        ("RENAME-TABLE", "the code stopped in v42"),
    ]
    findings = [Finding("DROP-COLUMN", "r0002", "ALTER TABLE t DROP COLUMN c", "drops t.c")]
    out = apply(findings, allowed, "r0002")
    assert out[0].allowed_because == "the code stopped in v42"
    assert not out[0].blocks
    assert [f.rule_id for f in out[1:]] == ["ALLOW-UNUSED"]  # RENAME-TABLE matched nothing


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("# dbtier: allow DROP-COLUMN", "has no reason"),
        ("# dbtier: allow DROP-COLUMN because", "has no reason"),
        ("# dbtier: allow NO-SUCH-RULE because reasons", "names no rule"),
        ("# dbtier: allow ALLOW-INVALID because sneaky", "names no rule"),
        ("# dbtier: allow drop column please", "cannot read it"),
    ],
)
def test_bad_allowance_is_a_blocking_finding(tmp_path: Path, line: str, problem: str) -> None:
    allowed, errors = read(_revision_file(tmp_path, line), "r0002")
    assert allowed == []
    assert [e.rule_id for e in errors] == ["ALLOW-INVALID"]
    assert problem in errors[0].message
    assert "r0002_x.py:3" in errors[0].message
    assert errors[0].blocks


def test_allowance_text_inside_a_string_is_not_an_allowance(tmp_path: Path) -> None:
    assert read(_revision_file(tmp_path), "r0002") == ([], [])


@pytest.mark.parametrize(
    ("old", "new", "narrower"),
    [
        ("VARCHAR(100)", "VARCHAR(50)", True),
        ("VARCHAR(50)", "VARCHAR(100)", False),
        ("TEXT", "VARCHAR(200)", True),
        ("VARCHAR(200)", "TEXT", False),
        ("BIGINT", "INT", True),
        ("INT", "BIGINT", False),
        ("DECIMAL(10, 2)", "DECIMAL(8, 2)", True),
        ("INT", "VARCHAR(20)", True),
        ("DATETIME", "DATETIME", False),
    ],
)
def test_narrows(old: str, new: str, narrower: bool) -> None:
    assert narrows(exp.DataType.build(old), exp.DataType.build(new)) is narrower


def test_narrowed_type_breaks_the_deployed_code() -> None:
    from dbtier.migrate.lint import DeployedCode, lint_sql

    code = DeployedCode(
        "r1", {"t": {"name": LintColumn("name", exp.DataType.build("VARCHAR(100)"))}}, "test"
    )
    report = lint_sql(
        "ALTER TABLE t MODIFY name VARCHAR(20) NULL",
        target_for("mysql"),
        setup="CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(100) NULL)",
        deployed=code,
    )
    assert {f.rule_id for f in report.blocking} == {"MY-TYPE-CHANGE", "COMPAT-NARROWED-TYPE"}


def test_not_null_column_the_deployed_inserts_do_not_set() -> None:
    from dbtier.migrate.lint import DeployedCode, lint_sql

    code = DeployedCode("r1", {"t": {"id": LintColumn("id", None)}}, "test")
    report = lint_sql(
        "ALTER TABLE t ADD COLUMN c INT NOT NULL",
        target_for("mariadb"),
        setup="CREATE TABLE t (id INT PRIMARY KEY)",
        deployed=code,
    )
    assert {f.rule_id for f in report.blocking} == {
        "ADD-NOT-NULL-NO-DEFAULT",
        "COMPAT-NOT-NULL-INSERT",
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_nippo_migrations_have_no_blocking_finding(engine: str) -> None:
    report = lint_project(offline_config(alembic_config(), engine), target_for(engine))
    assert report.revisions  # it read them
    assert report.blocking == ()


def test_manifest_round_trip(tmp_path: Path) -> None:
    from dbtier.migrate.lint import load_manifest

    metadata = MetaData()
    Table("notes", metadata, Column("id", Integer, primary_key=True), Column("body", String(200)))
    path = tmp_path / "deployed.json"
    path.write_text(json.dumps(manifest_of(metadata, "d0001")))
    code = load_manifest(path)
    assert code.revision == "d0001"
    assert code.uses("notes", "body") and not code.uses("notes", "legacy")
    assert code.tables["notes"]["body"].type == exp.DataType.build("VARCHAR(200)")


def test_bad_manifest_and_unknown_revision_are_config_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"tables": {}}')
    config = offline_config(alembic_config(), "sqlite")
    with pytest.raises(ConfigError, match="not a dbtier manifest"):
        lint_project(config, target_for("sqlite"), deployed=DeployedSpec(manifest=bad))
    with pytest.raises(ConfigError, match="not a revision of this project"):
        lint_project(config, target_for("sqlite"), deployed=DeployedSpec(revision="zz99"))


def test_bad_version_and_dialect_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="--server-version"):
        target_for("mysql", "eight")
    with pytest.raises(UsageError, match="--dialect"):
        target_for("oracle")


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["migrate", "lint", *args])
    return result.exit_code, result.output


def test_cli_exit_codes() -> None:
    gate = str(PROJECTS / "gate" / "alembic.ini")
    assert _cli("--dialect", "mariadb")[0] == 0  # nippo: clean
    code, out = _cli("--alembic-config", gate, "--dialect", "postgresql", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["blocking"] == 2
    assert {f["rule"] for f in report["findings"]} == {"DROP-COLUMN", "PG-INDEX-NOT-CONCURRENT"}
    assert all(f["revision"] == "g0002" and f["safe_alternative"] for f in report["findings"])
    assert _cli("--alembic-config", gate, "--from", "g0002", "--dialect", "mysql")[0] == 0
    assert _cli("--dialect", "oracle")[0] == 2
    assert _cli("--dialect", "mysql", "--server-version", "x")[0] == 2
    assert _cli("--alembic-config", "/no/such/alembic.ini")[0] == 2


def test_cli_manifest(tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    result = CliRunner().invoke(app, ["migrate", "manifest", "--output", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["revision"] == "0003"
    assert "title" in data["tables"]["reports"]
    assert "minutes_through" in data["tables"]["reports"]
    assert "markdown" in data["tables"]["report_sources"]
