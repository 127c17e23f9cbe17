"""A snapshot of a running server: its settings, its counters, how long it has been up.

Read-only: only `SHOW` and `SELECT`, so it is safe on a shared or production
server. What is read, per engine:

- MySQL / MariaDB: settings from `SHOW GLOBAL VARIABLES`; counters from
  `SHOW GLOBAL STATUS` and `information_schema.innodb_trx`; values waiting for
  a restart from `performance_schema.persisted_variables` (MySQL 8
  `SET PERSIST_ONLY`).
- PostgreSQL: settings (value and unit) from `pg_settings`; counters from
  `pg_stat_database`, `pg_stat_bgwriter` or `pg_stat_checkpointer` (PG 17),
  `pg_stat_wal`, `pg_stat_activity`, `pg_stat_statements` when installed;
  values waiting for a restart from `pg_settings.pending_restart`, with the
  new value from `pg_file_settings`.

Counters are cumulative since the server started (or since the last stats
reset on PostgreSQL), which is why every piece of advice carries the uptime.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

LONG_TRANSACTION_S = 60


@dataclass
class ServerSnapshot:
    """Settings and counters of one server at one moment."""

    engine: str  # mysql, mariadb or postgres
    version: str
    uptime_s: float
    settings: dict[str, str]
    units: dict[str, str] = field(default_factory=dict)  # PostgreSQL: pg_settings.unit
    pending: dict[str, str] = field(default_factory=dict)  # name -> value after a restart
    counters: dict[str, float] = field(default_factory=dict)
    long_transactions: list[dict[str, Any]] = field(default_factory=list)
    top_statements: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def dialect(self) -> str:
        """mysql for MySQL and MariaDB, postgres for PostgreSQL."""
        return "postgres" if self.engine == "postgres" else "mysql"


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _rows(conn: Connection, sql: str) -> list[Any]:
    return list(conn.execute(text(sql)))


def _optional(conn: Connection, sql: str, notes: list[str], what: str) -> list[Any]:
    """Rows of a query that may not be allowed or may not exist on this version."""
    try:
        with conn.begin_nested():
            return _rows(conn, sql)
    except Exception as exc:  # a missing view or privilege is a note, not a failure
        notes.append(f"{what}: not read ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})")
        return []


def _mysql(conn: Connection) -> ServerSnapshot:
    settings = {
        str(name).lower(): str(value) for name, value in _rows(conn, "SHOW GLOBAL VARIABLES")
    }
    counters: dict[str, float] = {}
    for name, value in _rows(conn, "SHOW GLOBAL STATUS"):
        number = _number(value)
        if number is not None:
            counters[str(name)] = number
    version = settings.get("version", "")
    engine = "mariadb" if "mariadb" in version.lower() else "mysql"
    snapshot = ServerSnapshot(engine, version, counters.get("Uptime", 0.0), settings)
    snapshot.counters = counters
    if engine == "mysql":
        for name, value in _optional(
            conn,
            "SELECT variable_name, variable_value FROM performance_schema.persisted_variables",
            snapshot.notes,
            "persisted variables",
        ):
            if str(value) != settings.get(str(name).lower()):
                snapshot.pending[str(name).lower()] = str(value)
    for trx_id, state, age, query in _optional(
        conn,
        "SELECT trx_id, trx_state, TIMESTAMPDIFF(SECOND, trx_started, NOW()), trx_query "
        "FROM information_schema.innodb_trx "
        f"WHERE trx_started < NOW() - INTERVAL {LONG_TRANSACTION_S} SECOND "
        "ORDER BY trx_started",
        snapshot.notes,
        "information_schema.innodb_trx",
    ):
        snapshot.long_transactions.append(
            {"id": str(trx_id), "state": str(state), "age_s": float(age), "query": query}
        )
    return snapshot


_PG_DATABASE = (
    "SELECT sum(blks_hit), sum(blks_read), sum(temp_files), sum(temp_bytes), sum(deadlocks), "
    "sum(xact_commit), sum(xact_rollback) FROM pg_stat_database"
)
_PG_DATABASE_NAMES = (
    "blks_hit",
    "blks_read",
    "temp_files",
    "temp_bytes",
    "deadlocks",
    "xact_commit",
    "xact_rollback",
)
# PostgreSQL 17 moved the checkpoint counters from pg_stat_bgwriter to pg_stat_checkpointer.
_PG_CHECKPOINTS = {
    True: ("SELECT num_timed, num_requested FROM pg_stat_checkpointer", "pg_stat_checkpointer"),
    False: (
        "SELECT checkpoints_timed, checkpoints_req FROM pg_stat_bgwriter",
        "pg_stat_bgwriter",
    ),
}


def _postgres(conn: Connection) -> ServerSnapshot:
    settings: dict[str, str] = {}
    units: dict[str, str] = {}
    restart: list[str] = []
    for name, setting, unit, pending_restart in _rows(
        conn, "SELECT name, setting, unit, pending_restart FROM pg_settings"
    ):
        settings[name.lower()] = "" if setting is None else str(setting)
        if unit:
            units[name.lower()] = str(unit)
        if pending_restart:
            restart.append(name.lower())
    (version_num, uptime) = _rows(
        conn,
        "SELECT current_setting('server_version_num')::int, "
        "extract(epoch FROM now() - pg_postmaster_start_time())",
    )[0]
    snapshot = ServerSnapshot(
        "postgres", settings.get("server_version", ""), float(uptime), settings, units
    )
    if restart:
        file_values = {
            str(name).lower(): str(value)
            for name, value in _optional(
                conn,
                "SELECT name, setting FROM pg_file_settings WHERE applied IS FALSE ORDER BY seqno",
                snapshot.notes,
                "pg_file_settings",
            )
        }
        for name in restart:
            snapshot.pending[name] = file_values.get(name, "(set in a file, value not readable)")
    row = _rows(conn, _PG_DATABASE)[0]
    snapshot.counters = {
        name: float(value or 0) for name, value in zip(_PG_DATABASE_NAMES, row, strict=True)
    }
    sql, view = _PG_CHECKPOINTS[int(version_num) >= 170000]
    for timed, requested in _optional(conn, sql, snapshot.notes, view):
        snapshot.counters["checkpoints_timed"] = float(timed)
        snapshot.counters["checkpoints_req"] = float(requested)
    for wal_bytes, buffers_full in _optional(
        conn, "SELECT wal_bytes, wal_buffers_full FROM pg_stat_wal", snapshot.notes, "pg_stat_wal"
    ):
        snapshot.counters["wal_bytes"] = float(wal_bytes)
        snapshot.counters["wal_buffers_full"] = float(buffers_full)
    (connections,) = _rows(
        conn, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
    )[0]
    snapshot.counters["client_connections"] = float(connections)
    for pid, state, age, query in _optional(
        conn,
        "SELECT pid, state, extract(epoch FROM now() - xact_start), query FROM pg_stat_activity "
        f"WHERE xact_start < now() - interval '{LONG_TRANSACTION_S} seconds' "
        "AND pid <> pg_backend_pid() ORDER BY xact_start",
        snapshot.notes,
        "pg_stat_activity",
    ):
        snapshot.long_transactions.append(
            {"id": str(pid), "state": str(state), "age_s": float(age), "query": query}
        )
    installed = _rows(
        conn, "SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'"
    )
    if installed[0][0]:
        for query, calls, total_ms in _optional(
            conn,
            "SELECT query, calls, total_exec_time FROM pg_stat_statements "
            "ORDER BY total_exec_time DESC LIMIT 5",
            snapshot.notes,
            "pg_stat_statements",
        ):
            snapshot.top_statements.append(
                {"query": query, "calls": int(calls), "total_s": float(total_ms) / 1000.0}
            )
    else:
        snapshot.notes.append("pg_stat_statements: not installed in this database")
    return snapshot


def read_server(engine: Engine) -> ServerSnapshot:
    """Read the snapshot of the server behind `engine` (MySQL, MariaDB or PostgreSQL)."""
    backend = engine.url.get_backend_name()
    with engine.connect() as conn:
        if backend in ("mysql", "mariadb"):
            return _mysql(conn)
        if backend == "postgresql":
            return _postgres(conn)
    from dbtier.errors import UsageError

    raise UsageError(f"params check reads MySQL, MariaDB or PostgreSQL servers, not {backend!r}")


__all__ = ["LONG_TRANSACTION_S", "ServerSnapshot", "read_server"]
