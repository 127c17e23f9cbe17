"""`dbtier db-users`: the master's bootstrap and the local alternating-user rotation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from dbtier.cli._common import DatabaseUrlOption, DataDirOption, command, settings_from

app = typer.Typer(no_args_is_help=True)


@app.command("bootstrap")
@command
def bootstrap(
    migrator_secret_id: Annotated[
        str | None,
        typer.Option(
            "--migrator-secret-id",
            envvar="DBTIER_MIGRATOR_SECRET_ID",
            help="Secrets Manager secret (ARN or name) of the migrator.",
            show_default=False,
        ),
    ] = None,
    migrator_secret_file: Annotated[
        Path | None,
        typer.Option(
            "--migrator-secret-file",
            help="Local JSON file of the migrator's secret (RDS shape).",
            show_default=False,
        ),
    ] = None,
    database_url: DatabaseUrlOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """As the master (the database settings): create or update the migrator and its rights.

    Run once after the first deploy (the stack's bootstrap task), and again after
    the migrator secret was replaced. Prints one JSON line naming what it did.
    """
    from dbtier.db import make_engine
    from dbtier.dbusers.bootstrap import bootstrap_migrator
    from dbtier.errors import UsageError
    from dbtier.secrets import DatabaseCredentials, FileSource, SecretsManagerSource, SecretSource

    settings = settings_from(database_url, data_dir)
    source: SecretSource
    if migrator_secret_id:
        source = SecretsManagerSource(migrator_secret_id, region=settings.aws_region)
    elif migrator_secret_file:
        source = FileSource(migrator_secret_file)
    else:
        raise UsageError("give --migrator-secret-id or --migrator-secret-file")
    migrator = DatabaseCredentials.from_secret(source.fetch(), where=source.description)
    if migrator.dbname and not settings.db_name:
        settings = settings.model_copy(update={"db_name": migrator.dbname})
    engine = make_engine(settings)
    try:
        with engine.connect() as conn:
            statements = bootstrap_migrator(conn, migrator.username, migrator.password)
    finally:
        engine.dispose()
    typer.echo(
        json.dumps(
            {"event": "bootstrap.done", "migrator": migrator.username, "statements": statements}
        )
    )


@app.command("rotate")
@command
def rotate(
    secret_file: Annotated[
        Path,
        typer.Option(
            "--secret-file",
            help="The app user's local secret (e.g. .dbtier/secrets/app.json).",
            show_default=False,
        ),
    ],
    database_url: DatabaseUrlOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """As the master: rotate the app user the way AWS's multi-user rotation does (local profile).

    Sets a new password on the other user of the pair (app ↔ app_clone), creating it
    with the same rights if needed, checks it logs in, then switches the secret file.
    """
    from dbtier.db import make_engine
    from dbtier.dbusers.publish import FileSink
    from dbtier.dbusers.rotation import rotate_secret
    from dbtier.secrets import DatabaseCredentials, FileSource
    from dbtier.tls import tls_connect_args

    settings = settings_from(database_url, data_dir)
    engine = make_engine(settings)
    # The login check connects with the secret's own driver (mysqlclient for MySQL/MariaDB),
    # which may differ from the admin URL's: the TLS arguments are that driver's.
    source = FileSource(secret_file)
    login = DatabaseCredentials.from_secret(source.fetch(), where=source.description).url()
    tls = tls_connect_args(
        login.get_backend_name(), settings.db_tls, settings.db_tls_ca, login.get_driver_name()
    )
    try:
        with engine.connect() as conn:
            pending = rotate_secret(conn, source, FileSink(secret_file), **tls)
    finally:
        engine.dispose()
    typer.echo(json.dumps({"event": "rotation.done", "username": pending.username}))


__all__ = ["app"]
