"""What a live database says about its schema: tables, keys, indexes, types, sizes, statistics.

`read_schema(engine)` collects everything the review needs in one pass, so the
checks (`dbtier.schema.checks`) are pure functions of a `SchemaFacts`. The
portable part comes from SQLAlchemy's inspector; what only one engine knows
(character sets, `timestamp without time zone`, sequence counters, table and
index sizes, index usage) comes from that engine's catalog, one small query
per fact in `_ENGINE_QUERIES`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

# Tables that belong to dbtier itself or to Alembic: reviewed for keys, left out of capacity.
TOOL_TABLES = frozenset({"alembic_version", "dbtier_migration_runs"})

# Largest value of each integer type (signed; MySQL's UNSIGNED doubles it plus one).
INTEGER_MAX: dict[str, int] = {
    "tinyint": 2**7 - 1,
    "smallint": 2**15 - 1,
    "mediumint": 2**23 - 1,
    "int": 2**31 - 1,
    "integer": 2**31 - 1,
    "bigint": 2**63 - 1,
    "serial": 2**31 - 1,
    "bigserial": 2**63 - 1,
}
SQLITE_INTEGER_MAX = 2**63 - 1  # an INTEGER PRIMARY KEY is the 64-bit rowid

# Column names that say when a row was made, most telling first.
TIMESTAMP_NAMES = ("created_at", "inserted_at", "created", "report_date", "date", "day")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # the type as the database spells it, lower case (e.g. "varchar(100)")
    nullable: bool
    charset: str | None = None  # MySQL/MariaDB character columns
    tz_naive_timestamp: bool = False  # PostgreSQL `timestamp without time zone`
    unsigned: bool = False


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]
    unique: bool
    primary: bool = False
    scans: int | None = None  # uses since statistics began; None when the server keeps none


@dataclass(frozen=True)
class ForeignKey:
    name: str | None
    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]


@dataclass
class Table:
    name: str
    columns: list[Column]
    primary_key: tuple[str, ...]
    indexes: list[Index]
    foreign_keys: list[ForeignKey]
    charset: str | None = None  # MySQL/MariaDB table default
    rows: int = 0
    rows_estimated: bool = False
    data_bytes: int | None = None
    index_bytes: int | None = None
    key_max: dict[str, int] = field(default_factory=dict)  # integer key column -> highest value
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    timestamp_column: str | None = None

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def total_bytes(self) -> int | None:
        if self.data_bytes is None:
            return None
        return self.data_bytes + (self.index_bytes or 0)


@dataclass
class SchemaFacts:
    engine: str  # "sqlite" | "mysql" | "mariadb" | "postgresql"
    server_version: str
    database: str
    tables: list[Table]
    database_charset: str | None = None
    index_stats_since: str | None = None  # when index-usage counters began, if known
    index_stats_note: str | None = None  # why there are none, if there are none

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)


def read_schema(engine: Engine, *, exact_count_limit: int = 1_000_000) -> SchemaFacts:
    """Every fact the review needs, read from the database `engine` points at."""
    with engine.connect() as conn:
        kind = _engine_kind(conn)
        facts = SchemaFacts(
            engine=kind,
            server_version=_server_version(conn, kind),
            database=engine.url.database or "",
            tables=[_read_table(conn, name) for name in inspect(conn).get_table_names()],
        )
        _ENGINE_READERS[kind](conn, facts)
        for table in facts.tables:
            _read_rows(conn, table, exact_count_limit)
            _read_key_max(conn, table)
            _read_time_span(conn, table)
    return facts


# --- portable facts -------------------------------------------------------------------


def _engine_kind(conn: Connection) -> str:
    name = conn.dialect.name
    if (
        name == "mysql"
        and "mariadb" in str(conn.exec_driver_sql("SELECT VERSION()").scalar()).lower()
    ):
        return "mariadb"
    return "postgresql" if name == "postgresql" else name


def _server_version(conn: Connection, kind: str) -> str:
    if kind == "sqlite":
        return str(conn.exec_driver_sql("SELECT sqlite_version()").scalar())
    if kind == "postgresql":
        return str(conn.exec_driver_sql("SHOW server_version").scalar())
    return str(conn.exec_driver_sql("SELECT VERSION()").scalar())


def _read_table(conn: Connection, name: str) -> Table:
    insp = inspect(conn)
    pk = tuple(insp.get_pk_constraint(name).get("constrained_columns") or ())
    columns = [
        Column(
            name=c["name"],
            type=str(c["type"].compile(dialect=conn.dialect)).lower(),
            nullable=bool(c["nullable"]),
        )
        for c in insp.get_columns(name)
    ]
    indexes = [
        Index(str(i["name"]), tuple(str(c) for c in i["column_names"]), bool(i["unique"]))
        for i in insp.get_indexes(name)
        if all(c is not None for c in i["column_names"])
    ]
    known = {ix.columns for ix in indexes if ix.unique}
    for uc in insp.get_unique_constraints(name):
        cols = tuple(uc["column_names"])
        if cols not in known:  # SQLite and PostgreSQL list unique constraints apart
            indexes.append(Index(str(uc.get("name") or f"uq_{name}_{'_'.join(cols)}"), cols, True))
    if pk:
        indexes.insert(0, Index("PRIMARY", pk, unique=True, primary=True))
    fks = [
        ForeignKey(
            fk.get("name"),
            tuple(fk["constrained_columns"]),
            fk["referred_table"],
            tuple(fk["referred_columns"]),
        )
        for fk in insp.get_foreign_keys(name)
    ]
    return Table(name, columns, pk, indexes, fks)


def _read_rows(conn: Connection, table: Table, exact_count_limit: int) -> None:
    # Engines with catalog estimates set rows first; count exactly below the limit.
    if table.rows_estimated and table.rows > exact_count_limit:
        return
    table.rows = int(
        conn.execute(text(f"SELECT COUNT(*) FROM {_quote(conn, table.name)}")).scalar() or 0
    )
    table.rows_estimated = False


def _read_key_max(conn: Connection, table: Table) -> None:
    for name in table.primary_key:
        column = table.column(name)
        if column is None or _integer_max(column, conn.dialect.name) is None:
            continue
        value = conn.execute(
            text(f"SELECT MAX({_quote(conn, name)}) FROM {_quote(conn, table.name)}")
        ).scalar()
        current = max(int(value or 0), table.key_max.get(name, 0))
        table.key_max[name] = current


def _read_time_span(conn: Connection, table: Table) -> None:
    candidates = {c.name: c for c in table.columns if _is_temporal(c.type)}
    chosen = next((n for n in TIMESTAMP_NAMES if n in candidates), None)
    if chosen is None:
        chosen = next((n for n in candidates if n.endswith(("_at", "_date"))), None)
    if chosen is None or table.rows == 0:
        return
    col, tab = _quote(conn, chosen), _quote(conn, table.name)
    low, high = conn.execute(text(f"SELECT MIN({col}), MAX({col}) FROM {tab}")).one()
    table.timestamp_column = chosen
    table.first_seen, table.last_seen = _as_datetime(low), _as_datetime(high)


def _is_temporal(type_name: str) -> bool:
    return type_name.startswith(("date", "timestamp")) or type_name == "datetime"


def _as_datetime(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    try:  # SQLite hands back text
        return dt.datetime.fromisoformat(str(value)).replace(tzinfo=None)
    except ValueError:
        return None


def integer_max(column: Column, dialect: str) -> int | None:
    """The largest value `column`'s integer type holds, or None when it is not an integer."""
    return _integer_max(column, dialect)


def _integer_max(column: Column, dialect: str) -> int | None:
    base = column.type.split("(")[0].split()[0]
    if dialect == "sqlite":
        return SQLITE_INTEGER_MAX if base in ("integer", "int", "bigint") else None
    if base not in INTEGER_MAX:
        return None
    top = INTEGER_MAX[base]
    return top * 2 + 1 if column.unsigned or "unsigned" in column.type else top


def _quote(conn: Connection, name: str) -> str:
    return str(conn.dialect.identifier_preparer.quote(name))


# --- engine facts ---------------------------------------------------------------------


def _read_sqlite(conn: Connection, facts: SchemaFacts) -> None:
    try:
        rows = conn.exec_driver_sql(
            "SELECT m.tbl_name, m.type, SUM(d.pgsize) FROM dbstat d "
            "JOIN sqlite_master m ON m.name = d.name GROUP BY m.tbl_name, m.type"
        ).all()
    except Exception:  # dbstat is a compile-time option
        facts.index_stats_note = "SQLite keeps no index-usage statistics"
        return
    for tbl_name, kind, size in rows:
        table = facts.table(str(tbl_name))
        if table is None:
            continue
        if kind == "table":
            table.data_bytes = int(size or 0)
        else:
            table.index_bytes = (table.index_bytes or 0) + int(size or 0)
    for table in facts.tables:
        if table.data_bytes is not None and table.index_bytes is None:
            table.index_bytes = 0
    facts.index_stats_note = "SQLite keeps no index-usage statistics"


def _read_mysql(conn: Connection, facts: SchemaFacts) -> None:
    schema = conn.exec_driver_sql("SELECT DATABASE()").scalar()
    facts.database_charset = conn.execute(
        text(
            "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA "
            "WHERE SCHEMA_NAME = :s"
        ),
        {"s": schema},
    ).scalar()
    for name, collation, rows, data, index, auto in conn.execute(
        text(
            "SELECT TABLE_NAME, TABLE_COLLATION, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH, "
            "AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = :s"
        ),
        {"s": schema},
    ):
        table = facts.table(str(name))
        if table is None:
            continue
        table.charset = str(collation).split("_")[0] if collation else None
        table.rows, table.rows_estimated = int(rows or 0), True
        table.data_bytes, table.index_bytes = int(data or 0), int(index or 0)
        if auto and len(table.primary_key) == 1:
            table.key_max[table.primary_key[0]] = int(auto) - 1
    for tname, cname, charset, ctype in conn.execute(
        text(
            "SELECT TABLE_NAME, COLUMN_NAME, CHARACTER_SET_NAME, COLUMN_TYPE "
            "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = :s"
        ),
        {"s": schema},
    ):
        table = facts.table(str(tname))
        if table is None:
            continue
        table.columns = [
            Column(
                c.name, str(ctype).lower(), c.nullable, charset, unsigned="unsigned" in str(ctype)
            )
            if c.name == cname
            else c
            for c in table.columns
        ]
    _read_mysql_index_usage(conn, facts, schema)


def _read_mysql_index_usage(conn: Connection, facts: SchemaFacts, schema: Any) -> None:
    enabled = conn.exec_driver_sql("SELECT @@performance_schema").scalar()
    if not enabled:
        facts.index_stats_note = (
            "performance_schema is off on this server, so index usage is unknown "
            "(RDS: enable it in the parameter group)"
        )
        return
    usage = {
        (str(t), str(i)): int(n or 0)
        for t, i, n in conn.execute(
            text(
                "SELECT OBJECT_NAME, INDEX_NAME, COUNT_STAR FROM "
                "performance_schema.table_io_waits_summary_by_index_usage "
                "WHERE OBJECT_SCHEMA = :s AND INDEX_NAME IS NOT NULL"
            ),
            {"s": schema},
        )
    }
    uptime = conn.exec_driver_sql("SHOW GLOBAL STATUS LIKE 'Uptime'").one()[1]
    facts.index_stats_since = f"server start ({int(uptime)} s ago)"
    for table in facts.tables:
        table.indexes = [_with_scans(ix, usage.get((table.name, ix.name))) for ix in table.indexes]


def _read_postgres(conn: Connection, facts: SchemaFacts) -> None:
    for name, size, isize, estimate in conn.exec_driver_sql(
        "SELECT c.relname, pg_table_size(c.oid), pg_indexes_size(c.oid), c.reltuples::bigint "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
    ):
        table = facts.table(str(name))
        if table is not None:
            table.data_bytes, table.index_bytes = int(size), int(isize)
            table.rows, table.rows_estimated = max(int(estimate), 0), True
    naive = {
        (str(t), str(c))
        for t, c in conn.exec_driver_sql(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = 'timestamp without time zone'"
        )
    }
    for table in facts.tables:
        table.columns = [
            Column(c.name, c.type, c.nullable, tz_naive_timestamp=(table.name, c.name) in naive)
            for c in table.columns
        ]
        for name in table.primary_key:
            seq = conn.execute(
                text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": name}
            ).scalar()
            if seq:
                last = conn.execute(
                    text("SELECT pg_sequence_last_value(CAST(:s AS regclass))"), {"s": seq}
                ).scalar()
                if last is not None:
                    table.key_max[name] = max(table.key_max.get(name, 0), int(last))
    usage = {
        (str(t), str(i)): int(n or 0)
        for t, i, n in conn.exec_driver_sql(
            "SELECT relname, indexrelname, idx_scan FROM pg_stat_user_indexes "
            "WHERE schemaname = current_schema()"
        )
    }
    pk_names = {
        str(t): str(n)
        for t, n in conn.exec_driver_sql(
            "SELECT tc.table_name, tc.constraint_name FROM information_schema.table_constraints tc "
            "WHERE tc.table_schema = current_schema() AND tc.constraint_type = 'PRIMARY KEY'"
        )
    }
    since = conn.exec_driver_sql(
        "SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()"
    ).scalar()
    facts.index_stats_since = f"statistics reset at {since}" if since else "database creation"
    for table in facts.tables:
        table.indexes = [
            _with_scans(
                ix, usage.get((table.name, pk_names.get(table.name, "") if ix.primary else ix.name))
            )
            for ix in table.indexes
        ]


def _with_scans(index: Index, scans: int | None) -> Index:
    return Index(index.name, index.columns, index.unique, index.primary, scans)


_ENGINE_READERS = {
    "sqlite": _read_sqlite,
    "mysql": _read_mysql,
    "mariadb": _read_mysql,
    "postgresql": _read_postgres,
}

__all__ = [
    "INTEGER_MAX",
    "TOOL_TABLES",
    "Column",
    "ForeignKey",
    "Index",
    "SchemaFacts",
    "Table",
    "integer_max",
    "read_schema",
]
