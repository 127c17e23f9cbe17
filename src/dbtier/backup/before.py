"""The scheduled migration's `--snapshot-before`: a restore point taken under the job's lock.

On AWS (`DBTIER_RDS_INSTANCE_ID` set, as the migration task's definition sets
it with `-c snapshot_before_migration=true`, the prod default) a manual RDS
snapshot named for the pending head, not waited for (a snapshot holds the data
as of its start); anywhere else a local backup (`dbtier.backup.take_backup`) under
`DATA_DIR/backups`. Either way the job logs what it took, and a failure stops
the run before anything is migrated.
"""

from __future__ import annotations

from collections.abc import Callable

from dbtier.config import Settings


def snapshot_hook(settings: Settings) -> Callable[[list[str]], str]:
    """A callable for `run_job(before_upgrade=...)`: takes the restore point, returns its name."""

    def take(pending: list[str]) -> str:
        target = pending[-1]
        if settings.rds_instance_id:
            import boto3

            from dbtier.backup.aws import snapshot_before_migration

            rds = boto3.client("rds", region_name=settings.aws_region)
            # No wait: a snapshot holds the data as of its start, and waiting for
            # "available" (minutes) would spend the job's --max-runtime.
            return snapshot_before_migration(
                rds, instance=settings.rds_instance_id, revision=target, wait=False
            )
        from dbtier.backup import take_backup
        from dbtier.secrets import resolve_database

        manifest, _ = take_backup(resolve_database(settings).url, settings.data_dir / "backups")
        return manifest.file

    return take


__all__ = ["snapshot_hook"]
