"""The Alembic project the job runs: its config, its revisions, and running it on a connection.

Any Alembic project works when its `env.py` follows the contract nippo's
does: use the open connection in `config.attributes["connection"]` when
present (the job's, with the lock held) and merge
`config.attributes["configure_kwargs"]` into `context.configure(...)`.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy.engine import URL, Connection

from dbtier.errors import ConfigError, UsageError

ProjectRef = Config | Path | str | None


def load_config(project: ProjectRef, url: URL) -> Config:
    """An Alembic Config: nippo's migrations by default, or an alembic.ini path."""
    if isinstance(project, Config):
        config = project
    elif project is None:
        from nippo.migrations import alembic_config

        config = alembic_config()
    else:
        path = Path(project)
        if not path.is_file():
            raise ConfigError(f"--alembic-config {path}: no such file; point it at an alembic.ini")
        config = Config(str(path))
        if not config.get_main_option("script_location"):
            raise ConfigError(f"--alembic-config {path}: no script_location in [alembic]")
    # Offline SQL needs the dialect; online runs use the job's own connection.
    rendered = url.render_as_string(hide_password=False).replace("%", "%%")
    config.set_main_option("sqlalchemy.url", rendered)
    return config


def script_directory(config: Config) -> ScriptDirectory:
    """The project's scripts; a broken project is a configuration error."""
    try:
        return ScriptDirectory.from_config(config)
    except CommandError as exc:
        raise ConfigError(f"Alembic project: {exc}") from None


def current_heads(connection: Connection) -> tuple[str, ...]:
    """The revisions `alembic_version` holds (empty on a fresh database)."""
    heads = MigrationContext.configure(connection).get_current_heads()
    connection.commit()
    return tuple(heads)


def pending(script: ScriptDirectory, current: tuple[str, ...]) -> list[Script]:
    """The revisions an upgrade to head would run, in the order it runs them."""
    lower: tuple[str, ...] | str = current or "base"
    try:
        revisions = list(script.iterate_revisions("heads", lower))
    except CommandError as exc:
        raise ConfigError(
            f"the database is at {', '.join(current)}, which this Alembic project "
            f"does not know ({exc}); is --alembic-config the right project?"
        ) from None
    return [rev for rev in reversed(revisions) if rev is not None]


def to_undo(script: ScriptDirectory, current: tuple[str, ...], target: str) -> list[Script]:
    """The revisions a downgrade to `target` would undo, in the order it undoes them."""
    if not current:
        return []
    try:
        revisions = list(script.iterate_revisions(current, target))
    except (CommandError, RevisionError) as exc:
        raise UsageError(
            f"downgrade {target}: {exc}; the target must be a revision below the database's "
            f"current {', '.join(current)} (or 'base', or -N)"
        ) from None
    return [rev for rev in revisions if rev is not None]


def check_downgrade_target(script: ScriptDirectory, target: str) -> None:
    """Refuse a target that is not a revision of this project (before connecting)."""
    if target == "base" or (target.startswith("-") and target[1:].isdigit()):
        return
    try:
        script.get_revision(target)
    except Exception:  # alembic raises several types for an unknown or ambiguous id
        raise UsageError(
            f"downgrade: {target!r} is not a revision of this project; "
            "see `dbtier migrate status` for the revisions"
        ) from None


def upgrade(config: Config, connection: Connection, **configure_kwargs: Any) -> None:
    """`alembic upgrade heads` on the job's connection."""
    _run_command(config, connection, configure_kwargs, command.upgrade, "heads")


def downgrade(config: Config, connection: Connection, target: str, **configure_kwargs: Any) -> None:
    """`alembic downgrade TARGET` on the job's connection."""
    _run_command(config, connection, configure_kwargs, command.downgrade, target)


def _run_command(
    config: Config,
    connection: Connection,
    configure_kwargs: dict[str, Any],
    run: Any,
    target: str,
) -> None:
    config.attributes["connection"] = connection
    config.attributes["configure_kwargs"] = configure_kwargs
    try:
        run(config, target)
    finally:
        config.attributes.pop("connection", None)
        config.attributes.pop("configure_kwargs", None)


def stamp(config: Config, connection: Connection, revision: str) -> None:
    """`alembic stamp REV` on the job's connection."""
    config.attributes["connection"] = connection
    try:
        command.stamp(config, revision)
    except CommandError as exc:
        raise ConfigError(f"stamp {revision}: {exc}") from None
    finally:
        config.attributes.pop("connection", None)
    connection.commit()


def offline_sql(config: Config, current: tuple[str, ...]) -> str:
    """The SQL an upgrade from `current` to head would run (Alembic's offline mode)."""
    buffer = io.StringIO()
    config.output_buffer = buffer
    start = current[0] if len(current) == 1 else None
    if len(current) > 1:
        raise ConfigError("the database has several heads; plan needs one starting revision")
    target = f"{start}:heads" if start else "heads"
    try:
        command.upgrade(config, target, sql=True)
    except CommandError as exc:
        raise ConfigError(f"plan: {exc}") from None
    finally:
        config.output_buffer = None
    return buffer.getvalue()


def describe_script(rev: Script) -> str:
    """`REV (first line of its message)`."""
    doc = (rev.doc or "").strip().splitlines()
    return f"{rev.revision} ({doc[0]})" if doc else rev.revision


__all__ = [
    "ProjectRef",
    "check_downgrade_target",
    "current_heads",
    "describe_script",
    "downgrade",
    "load_config",
    "offline_sql",
    "pending",
    "script_directory",
    "stamp",
    "to_undo",
    "upgrade",
]
