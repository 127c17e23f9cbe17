"""`dbtier params`: design an RDS parameter group from a workload profile, and compare it.

    dbtier params design PROFILE [--format table|markdown|json|aws|cdk|conf]
    dbtier params diff PROFILE --against rds-default|engine-default|pgtune [--format ...]
    dbtier params baseline ENGINE CLASS [--source rds-default|engine-default] [--format conf|json]
    dbtier params pgtune PROFILE [--format conf|json]
    dbtier params check --database-url URL [--profile PROFILE] [--json]

An invalid profile or flag exits 2 naming the field; a design that fails its
checks (memory, names, ranges) exits 1 naming the parameters to change.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from dbtier.cli._common import DatabaseUrlOption, command, settings_from
from dbtier.errors import UsageError
from dbtier.params import (
    AGAINST,
    FORMATS,
    design,
    diff,
    engine_default_values,
    load_profile,
    pgtune,
    rds_default_values,
    render,
    render_diff,
    to_conf,
)

app = typer.Typer(no_args_is_help=True)

ProfileArg = Annotated[
    Path, typer.Argument(help="Workload profile YAML (see docs/workload-profile.md).")
]


def _choice(option: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise UsageError(f"{option}: {value!r} is not one of {', '.join(choices)}")
    return value


@app.command("design")
@command
def design_command(
    profile: ProfileArg,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=f"One of: {', '.join(FORMATS)}.")
    ] = "table",
) -> None:
    """Design the parameter group for PROFILE and print it."""
    _choice("--format", fmt, FORMATS)
    typer.echo(render(design(load_profile(profile)), fmt), nl=False)


@app.command("diff")
@command
def diff_command(
    profile: ProfileArg,
    against: Annotated[
        str, typer.Option("--against", help=f"One of: {', '.join(AGAINST)}.")
    ] = "rds-default",
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="One of: table, markdown, json.")
    ] = "table",
) -> None:
    """What the design for PROFILE changes against a baseline, and why."""
    _choice("--against", against, AGAINST)
    _choice("--format", fmt, ("table", "markdown", "json"))
    result = design(load_profile(profile))
    typer.echo(render_diff(result, against, diff(result, against), fmt), nl=False)


def _values_out(engine: str, values: dict[str, str], fmt: str) -> str:
    _choice("--format", fmt, ("conf", "json"))
    if fmt == "json":
        return json.dumps(values, indent=2) + "\n"
    return to_conf(engine, values)


@app.command("baseline")
@command
def baseline_command(
    engine: Annotated[str, typer.Argument(help="mysql8.0, mysql8.4, mariadb10.11, postgres15-17.")],
    instance_class: Annotated[str, typer.Argument(help="RDS instance class, e.g. db.t4g.medium.")],
    source: Annotated[
        str, typer.Option("--source", help="rds-default or engine-default.")
    ] = "rds-default",
    fmt: Annotated[str, typer.Option("--format", "-f", help="conf or json.")] = "conf",
) -> None:
    """RDS's (or the engine's) default values for ENGINE on INSTANCE_CLASS."""
    _choice("--source", source, ("rds-default", "engine-default"))
    values = (
        rds_default_values(engine, instance_class)
        if source == "rds-default"
        else engine_default_values(engine)
    )
    typer.echo(_values_out(engine, values, fmt), nl=False)


@app.command("pgtune")
@command
def pgtune_command(
    profile: ProfileArg,
    fmt: Annotated[str, typer.Option("--format", "-f", help="conf or json.")] = "conf",
) -> None:
    """PGTune's recommendation for PROFILE (PostgreSQL only)."""
    loaded = load_profile(profile)
    typer.echo(_values_out(loaded.engine, pgtune(loaded), fmt), nl=False)


@app.command("check")
@command
def check_command(
    database_url: DatabaseUrlOption = None,
    profile: Annotated[
        Path | None,
        typer.Option("--profile", help="Workload profile whose design the server should hold."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check a running server against the design of PROFILE, and advise from its counters."""
    from dbtier.db import describe, make_engine
    from dbtier.observe.check import check_server, render_json, render_text

    settings = settings_from(database_url, None)
    if not settings.database_url and not (settings.db_secret_id or settings.db_secret_json):
        raise UsageError("--database-url (or DBTIER_DATABASE_URL) names the server to check")
    engine = make_engine(settings, pool_pre_ping=False)
    try:
        report = check_server(engine, describe(engine.url), profile)
    finally:
        engine.dispose()
    typer.echo(render_json(report) if as_json else render_text(report), nl=False)


__all__ = ["app"]
