"""RDS backups: point-in-time restore into a twin instance, and a snapshot before a migration.

`restore_to_time` reads the source instance (DescribeDBInstances) and its
automated backups' restore window (DescribeDBInstanceAutomatedBackups),
refuses a time outside the window, and calls RestoreDBInstanceToPointInTime
for a new instance that keeps the source's parameter group, subnet group,
security groups, class, storage, Multi-AZ, log exports and tags, and is never
publicly accessible. RDS restores into a new instance only, so the result is
a plan: what to switch (the secret's host, or a rename swap) and how to check
the restored database before switching.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from dbtier.errors import DbtierError, UsageError


class RestoreRefused(DbtierError):
    """RDS refused the restore, or the requested time is outside the restore window."""

    exit_code = 1


@dataclass
class RestorePlan:
    source: str
    target: str
    restore_time: str  # ISO 8601 or "latest"
    request: dict[str, Any]
    steps: list[str] = field(default_factory=list)


def restore_to_time(
    rds: Any,
    *,
    source: str,
    target: str,
    to_time: dt.datetime | None,
    instance_class: str | None = None,
) -> RestorePlan:
    """Start a point-in-time restore of `source` into the new instance `target`."""
    instance = _describe(rds, source)
    if to_time is not None:
        _check_window(rds, instance, to_time)
    request: dict[str, Any] = {
        "SourceDBInstanceIdentifier": source,
        "TargetDBInstanceIdentifier": target,
        "DBInstanceClass": instance_class or instance["DBInstanceClass"],
        "DBSubnetGroupName": instance["DBSubnetGroup"]["DBSubnetGroupName"],
        "VpcSecurityGroupIds": [g["VpcSecurityGroupId"] for g in instance["VpcSecurityGroups"]],
        "DBParameterGroupName": instance["DBParameterGroups"][0]["DBParameterGroupName"],
        "MultiAZ": bool(instance.get("MultiAZ", False)),
        "PubliclyAccessible": False,
        "StorageType": instance.get("StorageType", "gp3"),
        "CopyTagsToSnapshot": True,
        "DeletionProtection": bool(instance.get("DeletionProtection", False)),
        "Tags": [
            *[t for t in instance.get("TagList", []) if not t["Key"].startswith("aws:")],
            {"Key": "dbtier:restored-from", "Value": source},
            {"Key": "dbtier:restore-time", "Value": _iso(to_time) if to_time else "latest"},
        ],
    }
    if instance.get("EnabledCloudwatchLogsExports"):
        request["EnableCloudwatchLogsExports"] = instance["EnabledCloudwatchLogsExports"]
    if to_time is None:
        request["UseLatestRestorableTime"] = True
    else:
        request["RestoreTime"] = to_time
    try:
        rds.restore_db_instance_to_point_in_time(**request)
    except Exception as exc:  # botocore ClientError: the message is RDS's own
        raise RestoreRefused(
            f"RestoreDBInstanceToPointInTime {source} -> {target}: {exc}"
        ) from None
    plan = RestorePlan(source, target, _iso(to_time) if to_time else "latest", request)
    plan.steps = _steps(source, target, instance)
    return plan


def snapshot_before_migration(rds: Any, *, instance: str, revision: str, wait: bool = True) -> str:
    """A manual snapshot of `instance` named for the pending `revision`; waits until available."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    name = f"{instance}-pre-{revision}-{stamp}".replace("_", "-").lower()[:255]
    rds.create_db_snapshot(
        DBSnapshotIdentifier=name,
        DBInstanceIdentifier=instance,
        Tags=[{"Key": "dbtier:reason", "Value": f"before migration to {revision}"}],
    )
    if wait:
        rds.get_waiter("db_snapshot_available").wait(
            DBSnapshotIdentifier=name, WaiterConfig={"Delay": 15, "MaxAttempts": 120}
        )
    return name


def _describe(rds: Any, source: str) -> dict[str, Any]:
    try:
        found = rds.describe_db_instances(DBInstanceIdentifier=source)["DBInstances"]
    except Exception as exc:
        raise UsageError(f"--source-instance {source}: {exc}") from None
    if not found:
        raise UsageError(f"--source-instance {source}: no such DB instance")
    instance: dict[str, Any] = found[0]
    return instance


def _check_window(rds: Any, instance: dict[str, Any], when: dt.datetime) -> None:
    latest = instance.get("LatestRestorableTime")
    earliest = None
    backups = rds.describe_db_instance_automated_backups(
        DBInstanceIdentifier=instance["DBInstanceIdentifier"]
    ).get("DBInstanceAutomatedBackups", [])
    for backup in backups:
        window = backup.get("RestoreWindow", {})
        earliest = window.get("EarliestTime", earliest)
        latest = window.get("LatestTime", latest)
    if earliest is None or latest is None:
        raise RestoreRefused(
            f"{instance['DBInstanceIdentifier']} has no automated backups to restore from "
            "(BackupRetentionPeriod is 0?)"
        )
    if not earliest <= when <= latest:
        raise RestoreRefused(
            f"--to-time {_iso(when)} is outside the restore window "
            f"{_iso(earliest)} .. {_iso(latest)}"
        )


def _steps(source: str, target: str, instance: dict[str, Any]) -> list[str]:
    postgres = "postgres" in instance.get("Engine", "")
    analyze = "; PostgreSQL: ANALYZE the restored database first" if postgres else ""
    return [
        f"aws rds wait db-instance-available --db-instance-identifier {target}",
        f"aws rds describe-db-instances --db-instance-identifier {target} "
        "--query 'DBInstances[0].Endpoint.Address'   # the restored endpoint",
        "verify before switching, from inside the VPC (a migration task or a bastion): "
        "`dbtier migrate status` and `dbtier schema review` with "
        "--database-url pointing at the restored endpoint; the revision and row counts "
        "must be what you expect at the restore time",
        "switch, option A (keeps the endpoint name): rename "
        f"{source} to {source}-old and {target} to {source} "
        "(aws rds modify-db-instance --new-db-instance-identifier ... --apply-immediately), "
        "then restart the ECS service so its pool reconnects",
        "switch, option B: put the restored endpoint into the database secrets' `host` "
        "(application, migrator and master secrets), then restart the ECS service",
        f"after a day of service on the restored data: delete {source}-old "
        f"(with a final snapshot){analyze}",
    ]


def _iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


__all__ = ["RestorePlan", "RestoreRefused", "restore_to_time", "snapshot_before_migration"]
