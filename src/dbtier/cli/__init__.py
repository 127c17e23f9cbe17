"""The `dbtier` command: one Typer app, one sub-command module per seed component.

Errors from the exception tree (`dbtier.errors`) become a one-line message on
stderr and the exit code the tree assigns; usage errors exit 2.
"""

from __future__ import annotations

import sys

import typer

from dbtier import __version__
from dbtier.cli import cost, infra, migrate, params, schedule, service, users
from dbtier.errors import DbtierError

app = typer.Typer(
    name="dbtier",
    help="Run a FastAPI service's database tier on AWS the way careful engineers would.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dbtier {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Run a FastAPI service's database tier on AWS the way careful engineers would."""


service.register(app)
app.add_typer(users.app, name="users", help="Create learners and mentors and their tokens.")
app.add_typer(migrate.app, name="migrate", help="Run, plan and inspect database migrations.")
app.add_typer(schedule.app, name="schedule", help="EventBridge Scheduler expressions and loop.")
app.add_typer(params.app, name="params", help="Design an RDS parameter group from a workload.")
app.add_typer(infra.app, name="infra", help="Synthesize and draw the CDK app.")
app.add_typer(cost.app, name="cost", help="Estimate and report AWS cost.")


def main() -> None:
    """Entry point: run the app, mapping dbtier errors to exit codes."""
    try:
        app(standalone_mode=True)
    except DbtierError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)


__all__ = ["app", "main"]
