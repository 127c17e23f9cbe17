"""Options shared by every command that touches a database, and error mapping."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dbtier.errors import DbtierError

if TYPE_CHECKING:
    from dbtier.config import Settings

DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="DBTIER_DATABASE_URL",
        help="SQLAlchemy URL of the database (default: SQLite under --data-dir).",
        show_default=False,
    ),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar="DBTIER_DATA_DIR",
        help="Directory for the embedded SQLite database and local state [default: ./.dbtier].",
        show_default=False,
    ),
]


def settings_from(database_url: str | None, data_dir: Path | None, **extra: Any) -> Settings:
    """Settings with the CLI's overrides applied, logging configured."""
    # Imported here: pydantic-settings and structlog cost ~0.9 s of CPU to import, and
    # commands that never read settings (`dbtier logs digest` on files) should not pay it.
    from dbtier.config import load_settings
    from dbtier.logs import configure_logging

    settings = load_settings(database_url=database_url, data_dir=data_dir, **extra)
    configure_logging(settings.log_level)
    return settings


@contextmanager
def exits_on_error() -> Iterator[None]:
    """Turn a dbtier error into its message on stderr and its exit code."""
    try:
        yield
    except DbtierError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None


def command(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator form of `exits_on_error` for command functions."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with exits_on_error():
            return func(*args, **kwargs)

    return wrapper


__all__ = ["DataDirOption", "DatabaseUrlOption", "command", "exits_on_error", "settings_from"]
