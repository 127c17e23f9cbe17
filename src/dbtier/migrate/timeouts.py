"""Engine facts for bounding waits: the session settings and the errors they raise.

With the migration lock held, the job sets a lock timeout and a statement
timeout so that DDL waiting on a busy table gives up instead of queueing every
application query behind it. Engines spell this differently; the difference is
this table, not a forked function:

- PostgreSQL: `lock_timeout` and `statement_timeout` (milliseconds), plus
  `client_connection_check_interval` (14+) so that a killed job's backend
  notices the lost client mid-statement and lets go of its locks.
- MariaDB: `lock_wait_timeout` (metadata locks, whole seconds),
  `innodb_lock_wait_timeout` (row locks, whole seconds), `max_statement_time`
  (seconds).
- MySQL: the same lock settings; `max_execution_time` (milliseconds; MySQL
  applies it to read-only SELECTs only, so DDL is bounded by the lock waits).
- SQLite: `busy_timeout` (milliseconds) bounds the wait for the write lock;
  there is no statement timeout.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection


def _whole_seconds(seconds: float) -> int:
    return max(1, math.ceil(seconds))


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


@dataclass(frozen=True)
class EngineFacts:
    """What one engine needs to bound waits, and how it reports that a bound was hit."""

    name: str
    # (lock_timeout, statement_timeout) in seconds → SET statements, in order.
    timeout_statements: Callable[[float, float], list[str]]
    # Driver error codes (pymysql's int, psycopg's SQLSTATE) meaning "gave up waiting on a lock".
    lock_timeout_codes: frozenset[str]
    # Error codes meaning "the statement ran longer than statement_timeout".
    statement_timeout_codes: frozenset[str]
    # Does a failed migration roll back all of its DDL? (PostgreSQL only, in practice.)
    transactional_ddl: bool
    # Statements run right after connecting, before the lock (never timeouts).
    on_connect: Callable[[Connection], list[str]] = lambda _connection: []


POSTGRESQL = EngineFacts(
    name="postgresql",
    timeout_statements=lambda lock, stmt: [
        f"SET lock_timeout = {_ms(lock)}",
        f"SET statement_timeout = {_ms(stmt)}",
    ],
    lock_timeout_codes=frozenset({"55P03"}),  # lock_not_available
    statement_timeout_codes=frozenset({"57014"}),  # query_canceled
    transactional_ddl=True,
    on_connect=lambda connection: _postgres_on_connect(connection),
)
MARIADB = EngineFacts(
    name="mariadb",
    timeout_statements=lambda lock, stmt: [
        f"SET SESSION lock_wait_timeout = {_whole_seconds(lock)}",
        f"SET SESSION innodb_lock_wait_timeout = {_whole_seconds(lock)}",
        f"SET SESSION max_statement_time = {stmt:.3f}",
    ],
    lock_timeout_codes=frozenset({"1205"}),  # ER_LOCK_WAIT_TIMEOUT (MDL and InnoDB)
    statement_timeout_codes=frozenset({"1969"}),  # ER_STATEMENT_TIMEOUT
    transactional_ddl=False,
)
MYSQL = EngineFacts(
    name="mysql",
    timeout_statements=lambda lock, stmt: [
        f"SET SESSION lock_wait_timeout = {_whole_seconds(lock)}",
        f"SET SESSION innodb_lock_wait_timeout = {_whole_seconds(lock)}",
        f"SET SESSION max_execution_time = {_ms(stmt)}",
    ],
    lock_timeout_codes=frozenset({"1205"}),
    statement_timeout_codes=frozenset({"3024"}),  # ER_QUERY_TIMEOUT
    transactional_ddl=False,
)
SQLITE = EngineFacts(
    name="sqlite",
    timeout_statements=lambda lock, _stmt: [f"PRAGMA busy_timeout = {_ms(lock)}"],
    lock_timeout_codes=frozenset({"database is locked"}),
    statement_timeout_codes=frozenset(),
    transactional_ddl=False,
)


def _postgres_on_connect(connection: Connection) -> list[str]:
    # PostgreSQL 14+ checks for a vanished client every second during a statement.
    major = (connection.dialect.server_version_info or (0,))[0]
    supported = isinstance(major, int) and major >= 14
    return ["SET client_connection_check_interval = 1000"] if supported else []


def facts_for(connection: Connection) -> EngineFacts:
    """The facts for a live connection's engine (MariaDB told apart from MySQL)."""
    dialect = connection.dialect
    if dialect.name == "postgresql":
        return POSTGRESQL
    if dialect.name in ("mysql", "mariadb"):
        return MARIADB if getattr(dialect, "is_mariadb", False) else MYSQL
    if dialect.name == "sqlite":
        return SQLITE
    raise NotImplementedError(f"dbtier migrate does not know the {dialect.name!r} engine")


def apply_timeouts(
    connection: Connection, lock_timeout: float, statement_timeout: float
) -> list[str]:
    """Set the session's timeouts; returns the statements run (for the log)."""
    from sqlalchemy import text

    statements = facts_for(connection).timeout_statements(lock_timeout, statement_timeout)
    for statement in statements:
        connection.execute(text(statement))
    connection.commit()
    return statements


def error_code(exc: BaseException) -> str:
    """The driver's error code of a (wrapped) DBAPI error, as a string."""
    orig: Any = getattr(exc, "orig", exc)
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int):  # pymysql: (errno, message); its sqlstate is vague
        return str(args[0])
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:  # psycopg
        return str(sqlstate)
    return str(orig)


def is_lock_timeout(facts: EngineFacts, exc: BaseException) -> bool:
    """True when `exc` says a statement gave up waiting on a lock."""
    return error_code(exc) in facts.lock_timeout_codes


__all__ = [
    "MARIADB",
    "MYSQL",
    "POSTGRESQL",
    "SQLITE",
    "EngineFacts",
    "apply_timeouts",
    "error_code",
    "facts_for",
    "is_lock_timeout",
]
