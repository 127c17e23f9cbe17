"""`dbtier up`: migrate through the scheduler and launcher, then serve the reference service."""

from __future__ import annotations

from typing import Annotated

import typer

from dbtier.cli._common import DatabaseUrlOption, DataDirOption, command, settings_from


def register(app: typer.Typer) -> None:
    """Add `up` to the root app."""

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
    ) -> None:
        """Migrate (scheduler → launcher → job), then serve nippo with the schedule beside it.

        The first migration run goes the way every scheduled run goes, and the
        service starts answering only after it succeeded; if it fails, `up` exits
        with the job's code (1 failed, 2 configuration, 3 database unreachable).
        """
        from dbtier.launch.profile import run_local_profile

        settings = settings_from(
            database_url,
            data_dir,
            migration_schedule=schedule,
            schedule_timezone=timezone,
        )
        code = run_local_profile(settings, host=host, port=port, scheduled=not no_schedule)
        if code:
            raise typer.Exit(code)


__all__ = ["register"]
