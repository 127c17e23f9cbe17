"""`dbtier schema review`: check a live database's physical design (see `dbtier.schema`).

    dbtier schema review [--database-url URL] [--profile P] [--models nippo|none|MODULE:ATTR]
                         [--format table|markdown|json] [--json] [--er FILE]

Exit 0 without error-level findings, 1 with any, 2 for bad flags, 3 when the
database cannot be reached.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError

from dbtier.cli._common import DatabaseUrlOption, DataDirOption, command, settings_from
from dbtier.errors import DatabaseUnreachable, UsageError
from dbtier.schema.models import load_models

app = typer.Typer(no_args_is_help=True)


@app.command("review")
@command
def review_command(
    database_url: DatabaseUrlOption = None,
    data_dir: DataDirOption = None,
    profile: Annotated[
        Path | None,
        typer.Option(help="Workload profile: its storage.size_gib bounds the capacity projection."),
    ] = None,
    models: Annotated[
        str, typer.Option(help="Models to compare with: nippo, none, or MODULE:ATTR (a MetaData).")
    ] = "nippo",
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, markdown or json.")] = "table",
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    er_out: Annotated[
        Path | None, typer.Option("--er", help="Also write the ER diagram (Mermaid) to this file.")
    ] = None,
) -> None:
    """Review the live schema: keys, indexes, types, charsets, capacity; draw its ER diagram."""
    from dbtier.db import describe, make_engine
    from dbtier.schema import FORMATS, render_report, review_schema

    fmt = "json" if as_json else fmt
    if fmt not in FORMATS:
        raise UsageError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    storage = None
    if profile is not None:
        from dbtier.params import load_profile

        storage = float(load_profile(profile).storage.size_gib)
    metadata = load_models(models)
    settings = settings_from(database_url, data_dir)
    engine = make_engine(settings, pool_pre_ping=False)
    try:
        report = review_schema(engine, models=metadata, storage_gib=storage)
    except OperationalError as exc:
        raise DatabaseUnreachable(f"{describe(engine.url)}: {exc.orig}") from None
    finally:
        engine.dispose()
    if er_out is not None:
        er_out.write_text(report.mermaid, encoding="utf-8")
    typer.echo(render_report(report, fmt), nl=False)
    if report.errors:
        raise typer.Exit(1)
