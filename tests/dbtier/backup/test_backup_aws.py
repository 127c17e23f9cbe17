"""RDS point-in-time restore and the pre-migration snapshot, on botocore's Stubber."""

from __future__ import annotations

import datetime as dt
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from typer.testing import CliRunner

from dbtier.backup.aws import RestoreRefused, restore_to_time, snapshot_before_migration
from dbtier.cli import app

SOURCE = "dbtier-prod-db"
TARGET = "dbtier-prod-db-restored"
EARLIEST = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)
LATEST = dt.datetime(2026, 11, 30, 2, 55, tzinfo=dt.UTC)


def _instance() -> dict[str, Any]:
    return {
        "DBInstanceIdentifier": SOURCE,
        "DBInstanceClass": "db.t4g.medium",
        "Engine": "mysql",
        "DBSubnetGroup": {"DBSubnetGroupName": "dbtier-prod-isolated"},
        "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-0123456789abcdef0", "Status": "active"}],
        "DBParameterGroups": [
            {"DBParameterGroupName": "dbtier-prod-mysql84", "ParameterApplyStatus": "in-sync"}
        ],
        "MultiAZ": True,
        "StorageType": "gp3",
        "DeletionProtection": True,
        "LatestRestorableTime": LATEST,
        "EnabledCloudwatchLogsExports": ["error", "slowquery"],
        "TagList": [{"Key": "project", "Value": "dbtier"}],
    }


def _rds() -> tuple[Any, Stubber]:
    client = boto3.client(
        "rds", region_name="ap-northeast-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    return client, Stubber(client)


def _describe(stub: Stubber) -> None:
    stub.add_response(
        "describe_db_instances", {"DBInstances": [_instance()]}, {"DBInstanceIdentifier": SOURCE}
    )
    stub.add_response(
        "describe_db_instance_automated_backups",
        {
            "DBInstanceAutomatedBackups": [
                {"RestoreWindow": {"EarliestTime": EARLIEST, "LatestTime": LATEST}}
            ]
        },
        {"DBInstanceIdentifier": SOURCE},
    )


def test_restore_keeps_the_sources_groups_and_is_never_public() -> None:
    rds, stub = _rds()
    when = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
    _describe(stub)
    stub.add_response(
        "restore_db_instance_to_point_in_time",
        {"DBInstance": {"DBInstanceIdentifier": TARGET}},
        {
            "SourceDBInstanceIdentifier": SOURCE,
            "TargetDBInstanceIdentifier": TARGET,
            "RestoreTime": when,
            "DBInstanceClass": "db.t4g.medium",
            "DBSubnetGroupName": "dbtier-prod-isolated",
            "VpcSecurityGroupIds": ["sg-0123456789abcdef0"],
            "DBParameterGroupName": "dbtier-prod-mysql84",
            "MultiAZ": True,
            "PubliclyAccessible": False,
            "StorageType": "gp3",
            "CopyTagsToSnapshot": True,
            "DeletionProtection": True,
            "EnableCloudwatchLogsExports": ["error", "slowquery"],
            "Tags": [
                {"Key": "project", "Value": "dbtier"},
                {"Key": "dbtier:restored-from", "Value": SOURCE},
                {"Key": "dbtier:restore-time", "Value": "2026-11-29T12:00:00+00:00"},
            ],
        },
    )
    with stub:
        plan = restore_to_time(rds, source=SOURCE, target=TARGET, to_time=when)
    stub.assert_no_pending_responses()
    assert plan.restore_time == "2026-11-29T12:00:00+00:00"
    assert any("modify-db-instance" in step for step in plan.steps)
    assert any("dbtier migrate status" in step for step in plan.steps)


def test_a_time_outside_the_restore_window_is_refused_before_any_restore() -> None:
    rds, stub = _rds()
    _describe(stub)
    with stub, pytest.raises(RestoreRefused, match="outside the restore window"):
        restore_to_time(rds, source=SOURCE, target=TARGET, to_time=LATEST + dt.timedelta(hours=1))
    stub.assert_no_pending_responses()


def test_latest_uses_the_latest_restorable_time() -> None:
    rds, stub = _rds()
    stub.add_response(
        "describe_db_instances", {"DBInstances": [_instance()]}, {"DBInstanceIdentifier": SOURCE}
    )
    expected = {"UseLatestRestorableTime": True}
    stub.add_response(
        "restore_db_instance_to_point_in_time",
        {"DBInstance": {"DBInstanceIdentifier": TARGET}},
        {
            **dict.fromkeys(
                (
                    "SourceDBInstanceIdentifier",
                    "TargetDBInstanceIdentifier",
                    "DBInstanceClass",
                    "DBSubnetGroupName",
                    "VpcSecurityGroupIds",
                    "DBParameterGroupName",
                    "MultiAZ",
                    "PubliclyAccessible",
                    "StorageType",
                    "CopyTagsToSnapshot",
                    "DeletionProtection",
                    "EnableCloudwatchLogsExports",
                    "Tags",
                ),
                ANY,
            ),
            **expected,
        },
    )
    with stub:
        plan = restore_to_time(rds, source=SOURCE, target=TARGET, to_time=None)
    assert plan.restore_time == "latest"


def test_rds_refusing_the_restore_is_a_clear_error() -> None:
    rds, stub = _rds()
    _describe(stub)
    stub.add_client_error(
        "restore_db_instance_to_point_in_time",
        service_error_code="DBInstanceAlreadyExists",
        service_message=f"DB instance already exists: {TARGET}",
    )
    with stub, pytest.raises(RestoreRefused, match="DBInstanceAlreadyExists"):
        restore_to_time(rds, source=SOURCE, target=TARGET, to_time=LATEST)


def test_snapshot_before_migration_names_the_revision() -> None:
    rds, stub = _rds()
    stub.add_response(
        "create_db_snapshot",
        {"DBSnapshot": {"DBSnapshotIdentifier": "x"}},
        {"DBSnapshotIdentifier": ANY, "DBInstanceIdentifier": SOURCE, "Tags": ANY},
    )
    with stub:
        name = snapshot_before_migration(rds, instance=SOURCE, revision="0002", wait=False)
    assert name.startswith(f"{SOURCE}-pre-0002-")


def test_the_cli_prints_the_runbook(monkeypatch: pytest.MonkeyPatch) -> None:
    rds, stub = _rds()
    _describe(stub)
    stub.add_response("restore_db_instance_to_point_in_time", {"DBInstance": {}}, None)
    monkeypatch.setattr(boto3, "client", lambda *_a, **_k: rds)
    with stub:
        result = CliRunner().invoke(
            app,
            [
                "db",
                "restore",
                "--to-time",
                "2026-11-29T12:00:00Z",
                "--source-instance",
                SOURCE,
                "--target-instance",
                TARGET,
            ],
        )
    assert result.exit_code == 0, result.output
    assert f"restoring {SOURCE} to 2026-11-29T12:00:00+00:00 as {TARGET}" in result.output
    assert "1. aws rds wait db-instance-available" in result.output


def test_the_cli_refuses_a_bad_time_with_exit_2() -> None:
    result = CliRunner().invoke(
        app,
        [
            "db",
            "restore",
            "--to-time",
            "yesterday",
            "--source-instance",
            "a",
            "--target-instance",
            "b",
        ],
    )
    assert result.exit_code == 2
    assert "--to-time 'yesterday'" in result.output
