"""`dbtier review`: the lifecycle document from a profile, a live database, a template, backups."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from dbtier.cli import app
from nippo.migrations import upgrade_to_head

REPO = Path(__file__).resolve().parents[3]
PROFILE = REPO / "examples" / "workloads" / "nippo.yaml"


def _template(**db: Any) -> dict[str, Any]:
    """A small template shaped like the synthesized one (the parts the review reads)."""
    props = {
        "Engine": "mysql",
        "PubliclyAccessible": False,
        "StorageEncrypted": True,
        "BackupRetentionPeriod": 7,
        "EnableCloudwatchLogsExports": ["error", "slowquery"],
        "MonitoringInterval": 60,
        "EnablePerformanceInsights": True,
        "DBSubnetGroupName": {"Ref": "Subnets"},
        "VPCSecurityGroups": [{"Fn::GetAtt": ["DbSg", "GroupId"]}],
    } | db
    isolated = [{"Key": "aws-cdk:subnet-type", "Value": "Isolated"}]
    alarms = {
        f"Alarm{m}": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {"Namespace": "AWS/RDS", "MetricName": m},
        }
        for m in ("CPUUtilization", "FreeableMemory", "FreeStorageSpace", "DatabaseConnections")
    }
    return {
        "Resources": {
            "Db": {
                "Type": "AWS::RDS::DBInstance",
                "Properties": props,
                "DeletionPolicy": "Snapshot",
            },
            "Subnets": {
                "Type": "AWS::RDS::DBSubnetGroup",
                "Properties": {"SubnetIds": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}]},
            },
            "SubnetA": {"Type": "AWS::EC2::Subnet", "Properties": {"Tags": isolated}},
            "SubnetB": {"Type": "AWS::EC2::Subnet", "Properties": {"Tags": isolated}},
            "DbSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {}},
            "FromApp": {
                "Type": "AWS::EC2::SecurityGroupIngress",
                "Properties": {
                    "GroupId": {"Fn::GetAtt": ["DbSg", "GroupId"]},
                    "SourceSecurityGroupId": {"Fn::GetAtt": ["AppSg", "GroupId"]},
                    "Description": "Database from the Fargate service",
                },
            },
            "Params": {
                "Type": "AWS::RDS::DBParameterGroup",
                "Properties": {"Parameters": {"require_secure_transport": "1"}},
            },
            "Rotation": {
                "Type": "AWS::SecretsManager::RotationSchedule",
                "Properties": {"RotationRules": {"ScheduleExpression": "rate(30 days)"}},
            },
            "Dashboard": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {}},
            **alarms,
        }
    }


def _write(path: Path, body: dict[str, Any]) -> Path:
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_the_embedded_default_reviewed_end_to_end(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    assert (
        _invoke("users", "create", "--data-dir", data, "--name", "a", "--role", "learner").exit_code
        == 0
    )
    assert _invoke("db", "backup", "--data-dir", data).exit_code == 0
    assert _invoke("db", "restore-drill", "--data-dir", data).exit_code == 0
    template = _write(tmp_path / "stack.template.json", _template())

    result = _invoke(
        "review",
        "--profile",
        str(PROFILE),
        "--data-dir",
        data,
        "--template",
        str(template),
        "--out",
        str(tmp_path / "out"),
        "--name",
        "nippo",
    )

    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "nippo.md").read_text(encoding="utf-8")
    for title in (
        "1. Requirements",
        "2. Logical design",
        "3. Physical design",
        "4. Parameters",
        "5. Operations and observability",
        "6. Backups",
        "7. Security",
    ):
        assert f"## {title}" in text
    assert "❌" not in text
    assert "erDiagram" in text
    assert "| ✅ pass | restore drill | passed" in text
    assert "| ✅ pass | public access | PubliclyAccessible False | template |" in text
    page = (tmp_path / "out" / "nippo.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    assert "<table>" in page
    if shutil.which("dot"):
        assert "<svg" in page  # the ER diagram drawn by Graphviz


def test_a_bad_design_fails_with_its_evidence(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    assert (
        _invoke("users", "create", "--data-dir", data, "--name", "a", "--role", "learner").exit_code
        == 0
    )
    bad = _template(PubliclyAccessible=True, StorageEncrypted=False, BackupRetentionPeriod=0)
    bad["Resources"]["Open"] = {
        "Type": "AWS::EC2::SecurityGroupIngress",
        "Properties": {"GroupId": {"Fn::GetAtt": ["DbSg", "GroupId"]}, "CidrIp": "0.0.0.0/0"},
    }
    bad["Resources"]["Params"]["Properties"]["Parameters"] = {}
    template = _write(tmp_path / "bad.template.json", bad)

    result = _invoke(
        "review", "--data-dir", data, "--template", str(template), "--out", str(tmp_path)
    )

    assert result.exit_code == 1
    text = (tmp_path / "review.md").read_text(encoding="utf-8")
    for line in (
        "| ❌ fail | public access | PubliclyAccessible True |",
        "| ❌ fail | encryption at rest | StorageEncrypted False |",
        "| ❌ fail | automated backups (PITR window) | BackupRetentionPeriod 0 days",
        "| ❌ fail | database security group | 1 ingress rules by address range |",
        "| ❌ fail | TLS forced by the server |",
        "| ⚠️ warn | restore drill | no drill recorded",
        "| ⚠️ warn | workload profile | no profile given |",
    ):
        assert line in text, line


def test_bad_flags_exit_2(tmp_path: Path) -> None:
    assert _invoke("review", "--fail-on", "sometimes", "--out", str(tmp_path)).exit_code == 2
    result = _invoke("review", "--template", str(tmp_path / "none"), "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "no such file" in result.output


@pytest.mark.parametrize("backend", ["mysql", "postgres"])
def test_a_server_review_checks_the_running_parameters_and_the_users(
    database_url: URL, tmp_path: Path
) -> None:
    upgrade_to_head(database_url)
    postgres = database_url.get_backend_name() == "postgresql"
    profile = (
        REPO / "examples" / "workloads" / ("nippo-postgres.yaml" if postgres else "nippo.yaml")
    )
    app_user = f"dbtier_t_app_{uuid.uuid4().hex[:8]}"
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if postgres:
            conn.execute(text(f"CREATE ROLE {app_user} LOGIN PASSWORD 'x'"))
            conn.execute(
                text(
                    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
                    f"TO {app_user}"
                )
            )
        else:
            conn.execute(text(f"CREATE USER '{app_user}'@'%' IDENTIFIED BY 'x'"))
            conn.execute(
                text(
                    "GRANT SELECT, INSERT, UPDATE, DELETE "
                    f"ON `{database_url.database}`.* TO '{app_user}'@'%'"
                )
            )
    try:
        result = _invoke(
            "review",
            "--profile",
            str(profile),
            "--database-url",
            database_url.render_as_string(hide_password=False),
            "--backup-dir",
            str(tmp_path / "none"),
            "--out",
            str(tmp_path),
            "--fail-on",
            "never",
        )
    finally:
        with engine.connect() as conn:
            if postgres:
                conn.execute(text(f"DROP OWNED BY {app_user}"))
                conn.execute(text(f"DROP ROLE {app_user}"))
            else:
                conn.execute(text(f"DROP USER '{app_user}'@'%'"))
        engine.dispose()
    assert result.exit_code == 0, result.output
    text_ = (tmp_path / "review.md").read_text(encoding="utf-8")
    assert "| params check |" in text_  # drift and counters from the running server
    assert "counters: " in text_
    assert "| connected user |" in text_
    assert f"| ✅ pass | a DML-only application user | {app_user}" in text_
