"""`dbtier db`: backups, restores and the restore drill (see `dbtier.backup`).

    dbtier db backup        [--database-url URL] [--out DIR]
    dbtier db restore       BACKUP --database-url TARGET [--create]
    dbtier db restore       --to-time T|--latest --source-instance ID --target-instance NEW
    dbtier db restore-drill [--database-url URL] [--backup-dir DIR] [--backup FILE] [--keep]

Exit codes: 0 done (a drill that passed), 1 a failed dump/restore/drill or an
RDS refusal, 2 bad flags or files, 3 the database cannot be reached.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from dbtier.cli._common import DatabaseUrlOption, DataDirOption, command, settings_from
from dbtier.config import Settings
from dbtier.errors import DatabaseUnreachable, UsageError

app = typer.Typer(no_args_is_help=True)

BackupDirOption = Annotated[
    Path | None,
    typer.Option("--backup-dir", "--out", help="Where backups live [default: DATA_DIR/backups]."),
]
TimeoutOption = Annotated[
    float, typer.Option("--timeout", min=1, help="Deadline for each dump/restore program, s.")
]


def _backup_dir(settings: Settings, given: Path | None) -> Path:
    return given if given is not None else settings.data_dir / "backups"


def _url(settings: Settings) -> URL:
    from dbtier.secrets import resolve_database

    return resolve_database(settings).url


@app.command("backup")
@command
def backup_command(
    database_url: DatabaseUrlOption = None,
    data_dir: DataDirOption = None,
    backup_dir: BackupDirOption = None,
    timeout: TimeoutOption = 3600.0,
) -> None:
    """Back up the database (SQLite backup API, mariadb-dump, pg_dump -Fc) with a manifest."""
    from dbtier.backup import take_backup

    settings = settings_from(database_url, data_dir)
    try:
        manifest, path = take_backup(
            _url(settings), _backup_dir(settings, backup_dir), timeout=timeout
        )
    except OperationalError as exc:
        raise DatabaseUnreachable(f"backup: {exc.orig}") from None
    rows = sum(manifest.row_counts.values())
    typer.echo(
        f"{path.with_name(manifest.file)}: {manifest.bytes:,} bytes, {len(manifest.row_counts)} "
        f"tables, {rows:,} rows, revision {manifest.revision}"
    )


@app.command("restore")
@command
def restore_command(
    backup: Annotated[
        Path | None, typer.Argument(help="A backup file or its manifest (local restore).")
    ] = None,
    database_url: DatabaseUrlOption = None,
    data_dir: DataDirOption = None,
    create: Annotated[bool, typer.Option(help="Create the target database first.")] = False,
    timeout: TimeoutOption = 3600.0,
    to_time: Annotated[
        str | None,
        typer.Option("--to-time", help="RDS point-in-time restore to this ISO 8601 time (UTC)."),
    ] = None,
    latest: Annotated[
        bool, typer.Option("--latest", help="RDS: restore to the latest restorable time.")
    ] = False,
    source_instance: Annotated[
        str | None, typer.Option(help="RDS: the DB instance to restore from.")
    ] = None,
    target_instance: Annotated[
        str | None, typer.Option(help="RDS: the new DB instance to create.")
    ] = None,
    instance_class: Annotated[
        str | None, typer.Option(help="RDS: another class for the new instance.")
    ] = None,
    region: Annotated[str | None, typer.Option(help="AWS region [default: settings].")] = None,
) -> None:
    """Restore a local backup into an empty database, or an RDS instance to a point in time."""
    if to_time is not None or latest:
        _restore_rds(to_time, latest, source_instance, target_instance, instance_class, region)
        return
    if backup is None:
        raise UsageError("restore: give a BACKUP file, or --to-time/--latest for RDS")
    from dbtier.backup import restore_backup

    settings = settings_from(database_url, data_dir)
    target = _url(settings)
    try:
        manifest = restore_backup(backup, target, create=create, timeout=timeout)
    except OperationalError as exc:
        raise DatabaseUnreachable(f"restore: {exc.orig}") from None
    typer.echo(
        f"restored {manifest.file} (revision {manifest.revision}, "
        f"{sum(manifest.row_counts.values()):,} rows) into "
        f"{target.render_as_string(hide_password=True)}"
    )


def _restore_rds(
    to_time: str | None,
    latest: bool,
    source: str | None,
    target: str | None,
    instance_class: str | None,
    region: str | None,
) -> None:
    import boto3

    from dbtier.backup.aws import restore_to_time

    if to_time is not None and latest:
        raise UsageError("--to-time and --latest: give one")
    if not source or not target:
        raise UsageError("--to-time/--latest need --source-instance and --target-instance")
    when = None
    if to_time is not None:
        try:
            when = dt.datetime.fromisoformat(to_time.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(f"--to-time {to_time!r}: not an ISO 8601 time") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
    settings = Settings()
    rds = boto3.client("rds", region_name=region or settings.aws_region)
    plan = restore_to_time(
        rds, source=source, target=target, to_time=when, instance_class=instance_class
    )
    typer.echo(f"restoring {plan.source} to {plan.restore_time} as {plan.target}; then:")
    for number, step in enumerate(plan.steps, 1):
        typer.echo(f"  {number}. {step}")


@app.command("restore-drill")
@command
def restore_drill_command(
    database_url: DatabaseUrlOption = None,
    data_dir: DataDirOption = None,
    backup_dir: BackupDirOption = None,
    backup: Annotated[
        Path | None, typer.Option(help="This backup instead of the latest in --backup-dir.")
    ] = None,
    keep: Annotated[bool, typer.Option(help="Keep the scratch database afterwards.")] = False,
    service_check: Annotated[
        bool, typer.Option(help="Also ask the service's /readyz on the restored database.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    timeout: TimeoutOption = 3600.0,
) -> None:
    """Restore the latest backup into a scratch database beside the source and verify it."""
    from dbtier.backup import restore_drill

    settings = settings_from(database_url, data_dir)
    try:
        result = restore_drill(
            _url(settings),
            _backup_dir(settings, backup_dir),
            backup=backup,
            keep=keep,
            check_service=service_check,
            timeout=timeout,
        )
    except OperationalError as exc:
        raise DatabaseUnreachable(f"restore drill: {exc.orig}") from None
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
    else:
        verdict = "PASSED" if result.passed else "FAILED"
        typer.echo(
            f"restore drill {verdict}: {result.backup} -> {result.scratch} ({result.seconds} s)"
        )
        for check in result.checks:
            typer.echo(
                f"  [{'ok' if check['passed'] else 'FAIL'}] {check['check']}: {check['detail']}"
            )
    if not result.passed:
        raise typer.Exit(1)
