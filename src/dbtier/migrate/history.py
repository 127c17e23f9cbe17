"""The run history: one row per job run in `dbtier_migration_runs`.

The job creates this table itself (it is not part of the application's
migrations), with `CREATE TABLE IF NOT EXISTS`, so it exists before the first
migration and survives a downgrade of the application's schema.

A run is inserted as `running` once the lock is held and updated with its
outcome at the end. A `running` row found by a later runner that holds the
lock belongs to a runner that died (SIGKILL, OOM, the task stopped): it is
closed as `failed` with a message that says so. Skipped runs never held the
lock and are inserted whole.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    inspect,
    select,
    text,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import CreateColumn, CreateTable

STATUSES = ("running", "succeeded", "noop", "skipped", "failed", "refused")
KINDS = ("upgrade", "downgrade", "stamp", "repair")
TABLE_NAME = "dbtier_migration_runs"


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every engine.

    MySQL's DATETIME and SQLite's text keep no offset; storing UTC and
    re-attaching it on the way out keeps the three engines alike.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=dialect.name == "postgresql"))

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = value.astimezone(dt.UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if not isinstance(value, dt.datetime):
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


metadata = MetaData()
runs = Table(
    TABLE_NAME,
    metadata,
    Column("run_id", String(36), primary_key=True),
    Column("trigger_id", String(255)),
    Column("scheduled_time", UtcDateTime()),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime()),
    Column("from_revision", String(255)),
    Column("to_revision", String(255)),
    Column("status", String(16), nullable=False),
    Column("error", Text),
    Column("runner", String(255)),
    Column("kind", String(16)),
    Column("drift", Text),
    Column("dirty_revision", String(255)),
    Column("resolved_by", String(36)),
)


@dataclass(frozen=True)
class RunRecord:
    """One row of the history."""

    run_id: str
    status: str
    started_at: dt.datetime
    trigger_id: str | None = None
    scheduled_time: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    from_revision: str | None = None
    to_revision: str | None = None
    error: str | None = None
    runner: str | None = None
    kind: str | None = "upgrade"
    drift: str | None = None
    dirty_revision: str | None = None
    resolved_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; datetimes in ISO 8601 with offset."""
        return {
            key: value.isoformat() if isinstance(value, dt.datetime) else value
            for key, value in asdict(self).items()
        }


def ensure_table(connection: Connection) -> None:
    """Create the history table, or add the columns it lacks (safe when runners race)."""
    try:
        connection.execute(CreateTable(runs, if_not_exists=True))
        connection.commit()
    except DBAPIError:
        # PostgreSQL's IF NOT EXISTS can still lose a race on its type catalog;
        # the winner created the table, which is all this asks for.
        connection.rollback()
        if not has_table(connection):
            raise
    _add_missing_columns(connection)


def _add_missing_columns(connection: Connection) -> None:
    present = {column["name"] for column in inspect(connection).get_columns(TABLE_NAME)}
    connection.commit()
    for column in runs.columns:
        if column.name in present:
            continue
        ddl = CreateColumn(column).compile(dialect=connection.dialect)
        try:
            connection.execute(text(f"ALTER TABLE {TABLE_NAME} ADD COLUMN {ddl}"))
            connection.commit()
        except DBAPIError:
            connection.rollback()  # another runner added it first


def has_table(connection: Connection) -> bool:
    """True when the history table exists."""
    exists = connection.dialect.has_table(connection, TABLE_NAME)
    connection.commit()
    return bool(exists)


def insert(connection: Connection, record: RunRecord) -> None:
    """Insert a run (a `running` row, or a whole `skipped` one)."""
    connection.execute(runs.insert().values(**asdict(record)))
    connection.commit()


def finish(connection: Connection, run_id: str, **values: Any) -> None:
    """Close a run with its status, end time, revisions and error."""
    connection.execute(runs.update().where(runs.c.run_id == run_id).values(**values))
    connection.commit()


def close_abandoned(connection: Connection, *, by_run: str, now: dt.datetime) -> int:
    """Mark `running` rows of dead runners as failed; call only with the lock held."""
    result = connection.execute(
        runs.update()
        .where(runs.c.status == "running", runs.c.run_id != by_run)
        .values(
            status="failed",
            ended_at=now,
            error=(
                "the runner stopped without recording an end (killed, or its task stopped); "
                f"run {by_run} found it when it took the lock. Check `dbtier migrate status` "
                "and the database before trusting the schema."
            ),
        )
    )
    connection.commit()
    return int(result.rowcount or 0)


def unresolved_dirty(connection: Connection) -> RunRecord | None:
    """The latest run that left a revision half-applied and that no stamp or repair resolved."""
    if not has_table(connection):
        return None
    row = (
        connection.execute(
            select(runs)
            .where(runs.c.dirty_revision.is_not(None), runs.c.resolved_by.is_(None))
            .order_by(runs.c.started_at.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    connection.commit()
    return RunRecord(**dict(row)) if row is not None else None


def resolve_dirty(connection: Connection, *, by_run: str) -> int:
    """Mark every unresolved dirty run as resolved by `by_run` (a stamp or a repair)."""
    result = connection.execute(
        runs.update()
        .where(runs.c.dirty_revision.is_not(None), runs.c.resolved_by.is_(None))
        .values(resolved_by=by_run)
    )
    connection.commit()
    return int(result.rowcount or 0)


def recent(connection: Connection, limit: int = 20) -> list[RunRecord]:
    """The latest runs, newest first; empty when the table does not exist yet."""
    if not has_table(connection):
        return []
    rows = connection.execute(
        select(runs).order_by(runs.c.started_at.desc(), runs.c.run_id).limit(limit)
    ).mappings()
    records = [RunRecord(**dict(row)) for row in rows]
    connection.commit()
    return records


__all__ = [
    "KINDS",
    "STATUSES",
    "TABLE_NAME",
    "RunRecord",
    "close_abandoned",
    "ensure_table",
    "finish",
    "has_table",
    "insert",
    "recent",
    "resolve_dirty",
    "runs",
    "unresolved_dirty",
]
