"""`dbtier params`: formats, diffs, baselines, and exit 2 on invalid profiles naming the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from dbtier.cli import app

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "workloads"
runner = CliRunner()


def invoke(*args: str) -> Any:
    return runner.invoke(app, ["params", *args])


@pytest.mark.parametrize("fmt", ["table", "markdown", "json", "aws", "cdk", "conf"])
def test_design_formats(fmt: str) -> None:
    result = invoke("design", str(EXAMPLES / "nippo.yaml"), "--format", fmt)
    assert result.exit_code == 0, result.output
    assert "max_connections" in result.output


def test_design_prints_the_connection_budget_of_each_stage() -> None:
    table = invoke("design", str(EXAMPLES / "nippo.yaml"))
    assert table.exit_code == 0, table.output
    text = " ".join(table.output.split())
    assert "Connection budget" in text
    for stage, tasks, total in (("dev", 4, 47), ("prod", 12, 127)):
        assert f"(pool 5 + overflow 5) × {tasks} tasks ({stage} stage, auto scaling maximum" in text
        assert f"+ migration job 1 + rotation 3 + other clients 3 = {total}" in text
    data = json.loads(invoke("design", str(EXAMPLES / "nippo.yaml"), "-f", "json").output)
    prod = next(b for b in data["connection_budget"] if b["stage"] == "prod")
    assert (prod["max_tasks"], prod["tasks_during_deploy"], prod["total"]) == (6, 12, 127)
    assert prod["fits"] is True and data["max_connections"] == 156
    note = invoke("design", str(EXAMPLES / "nippo.yaml"), "-f", "markdown").output
    assert "## Connection budget" in note


def test_every_format_for_people_carries_the_notes() -> None:
    """The terminal table too: a design on an undersized class says which class holds it."""
    profile = str(EXAMPLES.parents[1] / "bench" / "params" / "profiles" / "mariadb-larger.yaml")
    for fmt in ("table", "markdown"):
        result = invoke("design", profile, "--format", fmt)
        assert result.exit_code == 0, result.output
        text = " ".join(result.output.split())
        assert "db.t4g.large (8 GiB) is the smallest db.t4g class whose design holds it" in text
    data = json.loads(invoke("design", profile, "-f", "json").output)
    assert any("db.t4g.large" in note for note in data["notes"])


def test_design_json_is_data() -> None:
    result = invoke("design", str(EXAMPLES / "nippo-postgres.yaml"), "--format", "json")
    data = json.loads(result.output)
    assert data["family"] == "postgres17"
    assert data["memory"]["fraction"] <= 0.9


def write(tmp_path: Path, data: dict[str, Any]) -> str:
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("section", "field", "bad", "named"),
    [
        (None, "cache_size", "1GB", "cache_size: unknown field"),
        ("workload", "data_size_gib", -5, "workload.data_size_gib"),
        ("storage", "size_gib", -20, "storage.size_gib"),
        (None, "instance_class", "db.t4g.huge", "instance_class: unknown RDS instance class"),
        (None, "engine", "mysql8", "engine: 'mysql8' is not one of"),
        (None, "engine", "postgre16", "did you mean 'postgres16'"),
    ],
)
def test_invalid_profiles_exit_2_naming_the_field(
    tmp_path: Path,
    nippo_data: dict[str, Any],
    section: str | None,
    field: str,
    bad: Any,
    named: str,
) -> None:
    target = nippo_data[section] if section else nippo_data
    target[field] = bad
    result = invoke("design", write(tmp_path, nippo_data))
    assert result.exit_code == 2
    assert named in result.output
    assert result.output.startswith("error: ")


def test_unsafe_design_exits_1_naming_parameters(
    tmp_path: Path, nippo_data: dict[str, Any]
) -> None:
    nippo_data["instance_class"] = "db.t4g.micro"
    nippo_data["connections"].update(
        pool_size=1000, max_overflow=0, tasks=2, deploy_max_percent=100
    )
    result = invoke("design", write(tmp_path, nippo_data))
    assert result.exit_code == 1
    assert "max_connections" in result.output and "sort_buffer_size" in result.output


def test_bad_flags_exit_2() -> None:
    profile = str(EXAMPLES / "nippo.yaml")
    assert invoke("design", profile, "--format", "yaml").exit_code == 2
    assert invoke("diff", profile, "--against", "mysqltuner").exit_code == 2
    assert invoke("design", "/nonexistent/profile.yaml").exit_code == 2
    pgtune_on_mysql = invoke("diff", profile, "--against", "pgtune")
    assert pgtune_on_mysql.exit_code == 2
    assert "PostgreSQL only" in pgtune_on_mysql.output


@pytest.mark.parametrize("against", ["rds-default", "engine-default", "pgtune"])
def test_diff(against: str) -> None:
    result = invoke("diff", str(EXAMPLES / "nippo-postgres.yaml"), "--against", against)
    assert result.exit_code == 0, result.output
    assert "shared_buffers" in result.output


def test_baseline_and_pgtune_commands() -> None:
    rds = invoke("baseline", "mariadb10.11", "db.t4g.medium")
    assert rds.exit_code == 0 and "[mysqld]" in rds.output
    engine = invoke(
        "baseline", "postgres15", "db.t4g.medium", "--source", "engine-default", "--format", "json"
    )
    assert json.loads(engine.output)["shared_buffers"] == "16384"
    assert invoke("baseline", "oracle19", "db.t4g.medium").exit_code == 2
    assert invoke("baseline", "postgres15", "db.t4g.mega").exit_code == 2
    tuned = invoke("pgtune", str(EXAMPLES / "nippo-postgres.yaml"))
    assert tuned.exit_code == 0 and "shared_buffers = '1024MB'" in tuned.output
