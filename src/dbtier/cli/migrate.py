"""`dbtier migrate`: run the migration job, and look at where the database stands.

`dbtier migrate run` is the Fargate task's command (and the local launcher's
subprocess); `downgrade REV` runs the same job the other way. Exit codes:

    0  succeeded, up to date (noop) or skipped (another runner holds the lock)
    1  a migration failed (the message names the revision and how to recover),
       or was refused (a dirty database); `drift`: the schema drifted;
       `repair`: the schema does not match the models
    2  usage or configuration error
    3  the database did not answer after the connection retries
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import URL

from dbtier.cli._common import DatabaseUrlOption, DataDirOption, command, settings_from
from dbtier.errors import MigrationFailed, UsageError

EXIT_CODES_HELP = (
    "Exit codes: 0 succeeded, up to date or skipped (another runner holds the lock); "
    "1 a migration failed, was refused (dirty database, or blocking lint findings) "
    "or passed --max-runtime; "
    "2 usage or configuration error; "
    "3 database unreachable after retries or within the connect budget."
)

app = typer.Typer(no_args_is_help=True, help=f"Run, plan and inspect migrations. {EXIT_CODES_HELP}")

AlembicConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--alembic-config",
        help="alembic.ini of the project to run [default: the nippo service's migrations].",
        show_default=False,
    ),
]
LockWaitOption = Annotated[
    float | None,
    typer.Option(
        "--lock-wait",
        min=0,
        help="Seconds to wait for the migration lock before exiting 0 as skipped "
        "[default: DBTIER_LOCK_WAIT or 30].",
        show_default=False,
    ),
]
ConnectRetriesOption = Annotated[
    int,
    typer.Option("--connect-retries", min=0, max=100, help="Connection retries, with backoff."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _parse_scheduled(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--scheduled-time {text!r} is not an ISO 8601 date-time; "
            "write e.g. 2026-11-29T03:00:00Z"
        ) from None
    # EventBridge Scheduler's <aws.scheduler.scheduled-time> is UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@app.command("run", help=f"Upgrade to head under the migration lock. {EXIT_CODES_HELP}")
@command
def run(
    alembic_config: AlembicConfigOption = None,
    database_url: DatabaseUrlOption = None,
    data_dir: DataDirOption = None,
    lock_wait: LockWaitOption = None,
    trigger_id: Annotated[
        str | None,
        typer.Option(
            "--trigger-id",
            help="Who started this run (the launcher passes SCHEDULE@SCHEDULED-TIME).",
        ),
    ] = None,
    scheduled_time: Annotated[
        str | None,
        typer.Option("--scheduled-time", help="The schedule's fire time, ISO 8601 (UTC if naive)."),
    ] = None,
    connect_retries: ConnectRetriesOption = 5,
    snapshot_before: Annotated[
        bool | None,
        typer.Option(
            "--snapshot-before/--no-snapshot-before",
            help="When something is pending, take a restore point first: an RDS snapshot "
            "(DBTIER_RDS_INSTANCE_ID) or a local backup. [default: DBTIER_SNAPSHOT_BEFORE]",
            show_default=False,
        ),
    ] = None,
    max_runtime: Annotated[
        float | None,
        typer.Option(
            "--max-runtime",
            min=1,
            envvar="DBTIER_MAX_RUNTIME",
            help="Seconds the whole run may take; then it records failed and exits non-zero "
            "(3 when it never connected) [default: 240].",
            show_default=False,
        ),
    ] = None,
) -> None:
    from dbtier.migrate import run_job

    when = _parse_scheduled(scheduled_time)
    settings = settings_from(database_url, data_dir, lock_wait=lock_wait, max_runtime=max_runtime)
    hook = None
    if settings.snapshot_before if snapshot_before is None else snapshot_before:
        from dbtier.backup.before import snapshot_hook

        hook = snapshot_hook(settings)
    result = run_job(
        settings,
        config=alembic_config,
        trigger_id=trigger_id,
        scheduled_time=when,
        connect_retries=connect_retries,
        before_upgrade=hook,
    )
    if result.status in ("failed", "refused"):
        raise MigrationFailed(result.error or f"the migration {result.status}")
    raise typer.Exit(result.exit_code)


@app.command("downgrade", help=f"Downgrade to REV under the migration lock. {EXIT_CODES_HELP}")
@command
def downgrade(
    revision: Annotated[
        str, typer.Argument(help="Target revision: a revision id, 'base', or -N (N steps down).")
    ],
    alembic_config: AlembicConfigOption = None,
    database_url: DatabaseUrlOption = None,
    data_dir: DataDirOption = None,
    lock_wait: LockWaitOption = None,
    trigger_id: Annotated[
        str | None, typer.Option("--trigger-id", help="Who started this run (recorded).")
    ] = None,
    connect_retries: ConnectRetriesOption = 5,
) -> None:
    from dbtier.migrate import run_job

    settings = settings_from(database_url, data_dir, lock_wait=lock_wait)
    result = run_job(
        settings,
        config=alembic_config,
        trigger_id=trigger_id,
        connect_retries=connect_retries,
        downgrade_to=revision,
    )
    if result.status in ("failed", "refused"):
        raise MigrationFailed(result.error or "a downgrade failed")
    if result.status == "noop":
        typer.echo(f"nothing to undo: the database is at {result.from_rev or 'base'}", err=True)
    elif result.status == "succeeded":
        typer.echo(
            f"downgraded {result.from_rev} -> {result.to_rev or 'base'} "
            f"(undid {', '.join(result.applied)})",
            err=True,
        )
    raise typer.Exit(result.exit_code)


@app.command("drift")
@command
def drift(
    alembic_config: AlembicConfigOption = None,
    database_url: DatabaseUrlOption = None,
    data_dir: DataDirOption = None,
    json_output: JsonOption = False,
) -> None:
    """Compare the live schema with the head models; exit 1 naming each difference."""
    from dbtier.migrate import schema_drift

    report = schema_drift(settings_from(database_url, data_dir), alembic_config)
    if json_output:
        typer.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        if report.pending:
            typer.echo(
                f"note: the database is at {', '.join(report.current) or 'base'}, head is "
                f"{', '.join(report.heads)}; pending {', '.join(report.pending)} "
                "(what they change shows below until `dbtier migrate run`)"
            )
        if report.has_drift:
            typer.echo(f"drift: {len(report.differences)} difference(s)")
            for difference in report.differences:
                typer.echo(f"  - {difference}")
        else:
            typer.echo("drift: none (the schema matches the head models)")
    raise typer.Exit(1 if report.has_drift else 0)


@app.command("repair")
@command
def repair(
    alembic_config: AlembicConfigOption = None,
    database_url: DatabaseUrlOption = None,
    data_dir: DataDirOption = None,
    lock_wait: LockWaitOption = None,
) -> None:
    """Resolve a dirty state: check the schema against the head models, then stamp."""
    from dbtier.migrate import repair as run_repair

    result = run_repair(settings_from(database_url, data_dir), alembic_config, lock_wait=lock_wait)
    if result.status == "clean":
        typer.echo("not dirty: nothing to repair")
    else:
        typer.echo(
            f"repaired: the schema matches the models; stamped {result.revision}; runs may proceed"
        )


@app.command("status")
@command
def status(
    alembic_config: AlembicConfigOption = None,
    database_url: DatabaseUrlOption = None,
    data_dir: DataDirOption = None,
    runs: Annotated[int, typer.Option("--runs", min=0, max=1000, help="Last runs shown.")] = 5,
    json_output: JsonOption = False,
    check_drift: Annotated[
        bool, typer.Option("--drift/--no-drift", help="Compare the schema with the models.")
    ] = True,
) -> None:
    """Current revision, head, pending revisions, drift, dirty state and the last runs."""
    from dbtier.migrate import migration_status

    state = migration_status(
        settings_from(database_url, data_dir), alembic_config, runs=runs, check_drift=check_drift
    )
    if json_output:
        typer.echo(json.dumps(state.to_json(), indent=2, ensure_ascii=False))
        return
    typer.echo(f"current: {', '.join(state.current) or 'base (nothing applied)'}")
    typer.echo(f"head:    {', '.join(state.heads)}")
    if state.up_to_date:
        typer.echo("pending: none (up to date)")
    else:
        typer.echo("pending:")
        for revision, message in state.pending:
            typer.echo(f"  {revision}  {message}")
    if state.drift is None:
        typer.echo(f"drift:   {state.drift_note}")
    elif not state.drift:
        typer.echo("drift:   none (the schema matches the head models)")
    else:
        typer.echo(f"drift:   {len(state.drift)} difference(s) (`dbtier migrate drift`)")
        for difference in state.drift:
            typer.echo(f"  - {difference}")
    if state.dirty is not None:
        typer.echo(
            f"dirty:   revision {state.dirty.dirty_revision} half-applied by run "
            f"{state.dirty.run_id[:8]}; runs are refused until `dbtier migrate repair` "
            "or `dbtier migrate stamp`"
        )
    _print_runs(state.runs)


@app.command("plan")
@command
def plan(
    alembic_config: AlembicConfigOption = None,
    database_url: DatabaseUrlOption = None,
    data_dir: DataDirOption = None,
    from_rev: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Start from this revision ('base' for an empty database) instead of reading "
            "the database's current revision.",
        ),
    ] = None,
) -> None:
    """The SQL an upgrade to head would run (Alembic offline mode; nothing is executed)."""
    from dbtier.migrate import plan_sql

    sql = plan_sql(settings_from(database_url, data_dir), alembic_config, from_rev=from_rev)
    typer.echo(sql if sql else "-- nothing pending: the database is at head")


@app.command("history")
@command
def history(
    database_url: DatabaseUrlOption = None,
    data_dir: DataDirOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000, help="Runs shown.")] = 20,
    json_output: JsonOption = False,
) -> None:
    """The job's past runs, newest first (from dbtier_migration_runs)."""
    from dbtier.migrate import run_history

    records = run_history(settings_from(database_url, data_dir), limit=limit)
    if json_output:
        typer.echo(json.dumps([record.to_json() for record in records], indent=2))
        return
    _print_runs(tuple(records))


@app.command("stamp")
@command
def stamp(
    revision: Annotated[str, typer.Argument(help="Revision to record as applied ('base' clears).")],
    alembic_config: AlembicConfigOption = None,
    database_url: DatabaseUrlOption = None,
    data_dir: DataDirOption = None,
    lock_wait: LockWaitOption = None,
) -> None:
    """Record REV in alembic_version without running it (after a manual recovery)."""
    from dbtier.migrate import stamp_revision

    settings = settings_from(database_url, data_dir)
    result = stamp_revision(settings, revision, alembic_config, lock_wait=lock_wait)
    typer.echo(f"stamped: alembic_version is now {', '.join(result.heads) or 'empty (base)'}")
    if result.resolved:
        typer.echo("dirty state resolved: runs may proceed")


LINT_EXIT_HELP = "Exit codes: 0 no blocking finding; 1 a blocking finding; 2 usage or input error."


@app.command(
    "lint",
    help=f"Read the pending revisions' SQL and report what would hurt the "
    f"running service, per engine and version. {LINT_EXIT_HELP}",
)
@command
def lint(
    alembic_config: AlembicConfigOption = None,
    from_rev: Annotated[
        str,
        typer.Option("--from", help="The revision the database is at ('base': lint them all)."),
    ] = "base",
    dialect: Annotated[
        str, typer.Option("--dialect", help="postgresql, mysql, mariadb or sqlite.")
    ] = "postgresql",
    server_version: Annotated[
        str | None,
        typer.Option(
            "--server-version",
            help="Server version the DDL runs on, e.g. 8.0.28 [default: postgresql 17, "
            "mysql 8.4, mariadb 10.11].",
            show_default=False,
        ),
    ] = None,
    deployed_rev: Annotated[
        str | None,
        typer.Option(
            "--deployed-rev",
            help="Revision the running service was built at [default: DBTIER_DEPLOYED_REV].",
            show_default=False,
        ),
    ] = None,
    deployed_manifest: Annotated[
        Path | None,
        typer.Option(
            "--deployed-manifest",
            help="The running image's manifest (`dbtier migrate manifest`) "
            "[default: DBTIER_DEPLOYED_MANIFEST].",
            show_default=False,
        ),
    ] = None,
    without_job_timeouts: Annotated[
        bool,
        typer.Option(
            "--without-job-timeouts",
            help="Judge the SQL as plain `alembic upgrade` runs it, without the lock timeout "
            "`dbtier migrate run` sets.",
        ),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    from dbtier.config import load_settings
    from dbtier.migrate import project
    from dbtier.migrate.lint import DeployedSpec, lint_project, offline_config, target_for

    target = target_for(dialect, server_version)
    settings = load_settings()
    config = project.load_config(alembic_config, _offline_url(dialect))
    deployed = DeployedSpec(
        deployed_manifest or settings.deployed_manifest, deployed_rev or settings.deployed_rev
    )
    report = lint_project(
        offline_config(config, dialect),
        target,
        current=() if from_rev == "base" else (from_rev,),
        deployed=deployed,
        job_timeouts=not without_job_timeouts,
    )
    if json_output:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        _print_report(report)
    raise typer.Exit(report.exit_code)


def _offline_url(dialect: str) -> URL:
    from sqlalchemy.engine import make_url

    from dbtier.migrate.lint.source import OFFLINE_URL

    return make_url(OFFLINE_URL.get(dialect, "sqlite://"))


def _print_report(report: object) -> None:
    from rich.console import Console
    from rich.table import Table

    from dbtier.migrate.lint import LintReport

    assert isinstance(report, LintReport)
    console = Console(width=140)
    head = f"lint: {report.target.label}, revisions {', '.join(report.revisions) or 'none'}"
    console.print(head + (f"; deployed code: {report.deployed}" if report.deployed else ""))
    if not report.findings:
        console.print("no findings")
        return
    table = Table("rule", "severity", "revision", "statement", "finding", "safe alternative")
    for f in report.findings:
        severity = f"allowed ({f.allowed_because})" if f.allowed_because else f.severity
        table.add_row(f.rule_id, severity, f.revision, f.statement[:60], f.message, f.safe)
    console.print(table)
    console.print(f"{len(report.blocking)} blocking finding(s)")


@app.command("manifest")
@command
def manifest(
    output: Annotated[Path, typer.Option("--output", help="Where to write the JSON.")],
    alembic_config: AlembicConfigOption = None,
    models: Annotated[
        str,
        typer.Option("--models", help="MODULE:ATTRIBUTE of the models' declarative base."),
    ] = "nippo.db:Base",
) -> None:
    """Record the image's head revision and the tables/columns its models map (build time)."""
    import importlib

    from dbtier.migrate import project
    from dbtier.migrate.lint import manifest_of

    module_name, _, attribute = models.partition(":")
    try:
        module = importlib.import_module(module_name)
        base = getattr(module, attribute or "Base")
        metadata = getattr(base, "metadata", base)
    except (ImportError, AttributeError) as exc:
        raise UsageError(f"--models {models}: {exc}") from None
    if module_name == "nippo.db":
        importlib.import_module("nippo.models")  # registers every table on Base.metadata
    script = project.script_directory(project.load_config(alembic_config, _offline_url("sqlite")))
    heads = script.get_heads()
    data = manifest_of(metadata, ",".join(heads))
    output.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    typer.echo(f"wrote {output}: revision {data['revision']}, {len(data['tables'])} tables")


def _print_runs(records: tuple[object, ...]) -> None:
    from rich.console import Console
    from rich.table import Table

    from dbtier.migrate import RunRecord

    if not records:
        typer.echo("runs:    none recorded yet")
        return
    table = Table(
        "started (UTC)", "kind", "status", "from", "to", "trigger", "run id", title="runs"
    )
    for record in records:
        assert isinstance(record, RunRecord)
        status = record.status
        if record.dirty_revision and not record.resolved_by:
            status += " (dirty)"
        if record.drift not in (None, "[]"):
            status += " (drift)"
        table.add_row(
            record.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            record.kind or "upgrade",
            status,
            record.from_revision or "-",
            record.to_revision or "-",
            record.trigger_id or "-",
            record.run_id[:8],
        )
    Console(width=120).print(table)


__all__ = ["app"]
