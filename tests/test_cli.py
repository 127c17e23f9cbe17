"""The root command: version and help."""

from __future__ import annotations

from typer.testing import CliRunner

from dbtier import __version__
from dbtier.cli import app


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("up", "users", "migrate", "schedule", "params", "infra", "cost", "running-total"):
        assert name in result.output
