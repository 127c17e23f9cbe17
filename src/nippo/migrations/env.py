"""Alembic environment for nippo; runs unchanged on SQLite, MySQL/MariaDB and PostgreSQL.

Callers may hand over an open connection in `config.attributes["connection"]`
(the migration job does, with its lock held) and extra `context.configure`
arguments in `config.attributes["configure_kwargs"]`. Otherwise the URL comes
from `sqlalchemy.url`, or from dbtier's settings (secrets included).
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection

import nippo.models  # noqa: F401  (registers every table on Base.metadata)
from dbtier.migrate.history import TABLE_NAME as RUN_HISTORY_TABLE
from nippo.db import Base

config = context.config
target_metadata = Base.metadata


def _include_name(name: str | None, type_: str, _parents: Any) -> bool:
    # The migration job's run history lives beside the app's tables but is not
    # part of the app's schema: autogenerate must not propose dropping it.
    return not (type_ == "table" and name == RUN_HISTORY_TABLE)


def _configure_kwargs(backend: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "target_metadata": target_metadata,
        "include_name": _include_name,
        "transaction_per_migration": True,
        "compare_type": True,
        "render_as_batch": backend == "sqlite",
    }
    kwargs.update(config.attributes.get("configure_kwargs", {}))
    return kwargs


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from dbtier.config import load_settings
    from dbtier.secrets import resolve_database

    return resolve_database(load_settings()).url.render_as_string(hide_password=False)


def run_migrations_offline() -> None:
    from sqlalchemy.engine import make_url

    url = _url()
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **_configure_kwargs(make_url(url).get_backend_name()),
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_with(connection: Connection) -> None:
    context.configure(connection=connection, **_configure_kwargs(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection: Connection | None = config.attributes.get("connection")
    if connection is not None:
        _run_with(connection)
        return
    from sqlalchemy import create_engine

    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run_with(conn)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
