"""`dbtier users`: create learners and mentors of the reference service and print their tokens."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.orm import Session

from dbtier.cli._common import DatabaseUrlOption, DataDirOption, command, settings_from
from dbtier.db import describe, make_engine
from dbtier.secrets import resolve_database

app = typer.Typer(no_args_is_help=True)


@app.command("create")
@command
def create(
    name: Annotated[str, typer.Option("--name", help="A unique user name.", show_default=False)],
    role: Annotated[str, typer.Option("--role", help="learner or mentor.", show_default=False)],
    mentor_of: Annotated[
        list[str] | None,
        typer.Option(
            "--mentor-of",
            help="A learner this mentor is assigned to (repeat for several).",
            show_default=False,
        ),
    ] = None,
    timezone: Annotated[
        str, typer.Option("--timezone", help="IANA time zone of the user's days.")
    ] = "Asia/Tokyo",
    database_url: DatabaseUrlOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Create a learner or a mentor; print their bearer token once (only its hash is kept)."""
    from nippo.migrations import upgrade_to_head
    from nippo.service.users import check_timezone, create_user

    check_timezone(timezone)
    settings = settings_from(database_url, data_dir)
    resolved = resolve_database(settings)
    upgrade_to_head(resolved.url)
    engine = make_engine(settings, resolved=resolved)
    try:
        with Session(engine) as session:
            user = create_user(
                session, name, role, timezone=timezone, mentor_of=list(mentor_of or [])
            )
    finally:
        engine.dispose()
    mentoring = f", mentor of {', '.join(user.learners)}" if user.learners else ""
    typer.echo(
        f"created {user.role} {user.name!r} (id {user.id}, {user.timezone}{mentoring}) "
        f"in {describe(resolved.url)}",
        err=True,
    )
    typer.echo("token (shown once; keep it secret):", err=True)
    typer.echo(user.token)


__all__ = ["app"]
