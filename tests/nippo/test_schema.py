"""The schema: migrations match the models on every backend, every foreign key leads an
index, tables are utf8mb4 on MySQL, and the migrations go down and up again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint, create_engine, text
from sqlalchemy.engine import URL

from nippo.db import Base
from nippo.migrations import alembic_config, upgrade_to_head


def _leading_columns() -> dict[str, list[tuple[str, ...]]]:
    indexed: dict[str, list[tuple[str, ...]]] = {}
    for table in Base.metadata.sorted_tables:
        keys = [tuple(c.name for c in index.columns) for index in table.indexes]
        keys += [
            tuple(c.name for c in constraint.columns)
            for constraint in table.constraints
            if isinstance(constraint, PrimaryKeyConstraint | UniqueConstraint)
        ]
        indexed[table.name] = keys
    return indexed


def test_every_foreign_key_leads_an_index() -> None:
    indexed = _leading_columns()
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_key_constraints:
            columns = tuple(c.name for c in fk.columns)
            assert any(key[: len(columns)] == columns for key in indexed[table.name]), (
                f"{table.name}{columns} has no index"
            )


def test_migrations_match_the_models(database_url: URL) -> None:
    upgrade_to_head(database_url)
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            if database_url.get_backend_name() == "mysql":
                collations = connection.execute(
                    text(
                        "SELECT TABLE_NAME, TABLE_COLLATION FROM information_schema.TABLES "
                        "WHERE TABLE_SCHEMA = DATABASE()"
                    )
                ).all()
                assert collations and all(c.startswith("utf8mb4") for _, c in collations)
    finally:
        engine.dispose()


def test_migrations_go_down_and_up_again(database_url: URL) -> None:
    config = alembic_config(database_url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")
