"""The `dbtier` command: one Typer app, one sub-command module per seed component.

Errors from the exception tree (`dbtier.errors`) become a one-line message on
stderr and the exit code the tree assigns; usage errors exit 2.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from dbtier.errors import DbtierError

# Sub-commands load their module only when they run: the migration task's
# container starts `dbtier migrate run` on every schedule, and it should not
# pay for the ORM models, rich tables or the CDK.
_LAZY: dict[str, tuple[str, str]] = {
    "users": ("dbtier.cli.users", "Create learners and mentors and their tokens."),
    "running-total": (
        "dbtier.cli.running_total",
        "Check and repair nippo's study-time running totals.",
    ),
    "db-users": ("dbtier.cli.db_users", "Bootstrap the migrator; rotate the app user."),
    "migrate": ("dbtier.cli.migrate", "Run, plan and inspect database migrations."),
    "schedule": ("dbtier.cli.schedule", "EventBridge Scheduler expressions and loop."),
    "params": ("dbtier.cli.params", "Design an RDS parameter group from a workload."),
    "infra": ("dbtier.cli.infra", "Synthesize and draw the CDK app."),
    "cost": ("dbtier.cli.cost", "Estimate and report AWS cost."),
    "schema": ("dbtier.cli.schema", "Review a live database's physical design."),
    "logs": ("dbtier.cli.logs", "Digest slow query logs (files, RDS, CloudWatch)."),
    "db": ("dbtier.cli.db", "Back up, restore, and drill restores."),
    "review": ("dbtier.cli.review", "Write the design review (Markdown and HTML)."),
}
# Root commands (not groups) loaded the same way: module, help.
_LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "up": ("dbtier.cli.service", "Migrate, then serve nippo with the schedule beside it."),
}


class _LazyGroup(TyperGroup):
    """A group whose sub-command groups are imported on first use.

    (`Any` for click's types: Typer vendors its own click, whose classes are private.)
    """

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *_LAZY_COMMANDS, *_LAZY]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in _LAZY_COMMANDS:
            module_name, help_text = _LAZY_COMMANDS[cmd_name]
            single: typer.Typer = importlib.import_module(module_name).app
            command = typer.main.get_command(single)
            command.name = cmd_name
            command.short_help = help_text
            return command
        if cmd_name not in _LAZY:
            return super().get_command(ctx, cmd_name)
        module_name, help_text = _LAZY[cmd_name]
        sub_app: typer.Typer = importlib.import_module(module_name).app
        command = typer.main.get_group(sub_app)
        command.name = cmd_name
        command.help = command.help or help_text
        command.short_help = help_text
        return command


app = typer.Typer(
    cls=_LazyGroup,
    name="dbtier",
    help="Run a FastAPI service's database tier on AWS the way careful engineers would.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        from dbtier import __version__

        typer.echo(f"dbtier {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Run a FastAPI service's database tier on AWS the way careful engineers would."""


def main() -> None:
    """Entry point: run the app, mapping dbtier errors to exit codes."""
    try:
        app(standalone_mode=True)
    except DbtierError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)


__all__ = ["app", "main"]
