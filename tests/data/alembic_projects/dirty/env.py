"""Alembic environment of the `dirty` project: the shared contract, plus models to compare with.

Unlike `env/env.py` it has a `target_metadata` (accounts and ledger, as
revision d0002 leaves them when it succeeds), so drift and `dbtier migrate
repair` can compare the schema with the models.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import Connection, make_url

config = context.config

target_metadata = sa.MetaData()
sa.Table(
    "accounts",
    target_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
)
sa.Table(
    "ledger",
    target_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("amount", sa.Integer),
)


def _include_name(name: str | None, type_: str, _parents: Any) -> bool:
    return not (type_ == "table" and name == "dbtier_migration_runs")


def _configure_kwargs() -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "target_metadata": target_metadata,
        "include_name": _include_name,
        "transaction_per_migration": True,
    }
    kwargs.update(config.attributes.get("configure_kwargs", {}))
    return kwargs


def _run_with(connection: Connection) -> None:
    context.configure(connection=connection, **_configure_kwargs())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url") or "sqlite://"
    context.configure(url=make_url(url), literal_binds=True, **_configure_kwargs())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection: Connection | None = config.attributes.get("connection")
    if connection is not None:
        _run_with(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run_with(conn)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
