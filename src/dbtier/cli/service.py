"""`dbtier up`: apply pending migrations, then serve the reference service."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add `up` to the root app."""

    @app.command("up")
    def up() -> None:
        """Apply pending migrations, then serve the reference service (nippo)."""
        raise typer.Exit(1)
