"""`dbtier up`: migrate through the scheduler and launcher, then serve the reference service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from dbtier.cli._common import DatabaseUrlOption, DataDirOption, command, settings_from
from dbtier.dbusers.facts import APP_USERNAME, MIGRATOR_USERNAME
from dbtier.errors import UsageError

if TYPE_CHECKING:
    from dbtier.config import Settings

# Loaded by the root group only when `up` runs (or help lists it): its imports
# (the dbusers package, SQLAlchemy) are not every command's to pay.
app = typer.Typer()


@app.command("up")
@command
def up(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    schedule: Annotated[
        str | None,
        typer.Option(
            "--schedule",
            envvar="DBTIER_MIGRATION_SCHEDULE",
            help="When to run migrations: cron(...), rate(...) or at(...), as "
            "EventBridge Scheduler takes them [default: rate(5 minutes)].",
            show_default=False,
        ),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            envvar="DBTIER_SCHEDULE_TIMEZONE",
            help="IANA time zone of --schedule [default: Asia/Tokyo].",
            show_default=False,
        ),
    ] = None,
    no_schedule: Annotated[
        bool,
        typer.Option("--no-schedule", help="Migrate once at start, then only serve."),
    ] = False,
    admin_url: Annotated[
        str | None,
        typer.Option(
            "--admin-url",
            envvar="DBTIER_ADMIN_URL",
            help="Admin URL of a MariaDB/MySQL/PostgreSQL database (the local master): "
            "creates the migrator and the app user, migrates as the migrator, serves as "
            "the app user (docs/security.md).",
            show_default=False,
        ),
    ] = None,
    migrator_user: Annotated[
        str, typer.Option("--migrator-user", help="The migrator's name (with --admin-url).")
    ] = MIGRATOR_USERNAME,
    app_user: Annotated[
        str, typer.Option("--app-user", help="The app user's name (with --admin-url).")
    ] = APP_USERNAME,
) -> None:
    """Migrate (scheduler → launcher → job), then serve nippo with the schedule beside it.

    The first migration run goes the way every scheduled run goes, and the
    service starts answering only after it succeeded; if it fails, `up` exits
    with the job's code (1 failed, 2 configuration, 3 database unreachable).
    With --admin-url the job runs as the migrator and the service as the
    DML-only app user, as on AWS.
    """
    from dbtier.launch.profile import run_local_profile

    settings = settings_from(
        database_url,
        data_dir,
        migration_schedule=schedule,
        schedule_timezone=timezone,
    )
    service_settings = None
    if admin_url is not None:
        settings, service_settings = _with_users(settings, admin_url, migrator_user, app_user)
    code = run_local_profile(
        settings,
        host=host,
        port=port,
        scheduled=not no_schedule,
        service_settings=service_settings,
    )
    if code:
        raise typer.Exit(code)


def _with_users(
    settings: Settings, admin_url: str, migrator: str, app: str
) -> tuple[Settings, Settings]:
    """The job's and the service's settings once the local users exist (dbtier.dbusers.local)."""
    from sqlalchemy.engine import make_url

    from dbtier.dbusers.local import prepare_local_users

    if settings.database_url:
        raise UsageError("--admin-url and --database-url exclude each other: give one")
    try:
        url = make_url(admin_url)
    except Exception:  # the URL may hold a password: say what, not the text
        raise UsageError("--admin-url / DBTIER_ADMIN_URL is not a valid URL") from None
    users = prepare_local_users(url, settings.data_dir, migrator=migrator, app=app)
    return users.job_settings(settings), users.service_settings(settings)


__all__ = ["app"]
