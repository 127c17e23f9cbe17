"""Connection timeouts per driver, and the service's per-session statement timeout.

Every connection dbtier opens has a connect timeout and, where the driver has
one, a read and write timeout; the service's sessions also carry a statement
timeout, set on each new connection (never on the server globally). The
drivers differ, and the difference is this table of facts, not a fork:

- connect: PyMySQL `connect_timeout` (s) bounds the TCP connect, and the
  handshake is read under `read_timeout`; mysqlclient (MariaDB Connector/C)
  takes whole seconds only (a float is a TypeError), so each bound is rounded
  up, and 1 s at least; libpq `connect_timeout` (whole seconds, less than 2
  counts as 2) bounds connect, startup and auth.
- read / write: PyMySQL `read_timeout`, `write_timeout` (s) on every socket
  operation; mysqlclient's are the same options of the C library, in whole
  seconds; psycopg has none (a call waits for the server), so the service's
  request deadline (`nippo.api.unavailable`) bounds the wait.
- dead peer: PyMySQL sets `SO_KEEPALIVE` with the OS's timings; libpq gets
  `keepalives`, `keepalives_idle/interval/count` and `tcp_user_timeout` (ms).
- statement timeout (the service only): PostgreSQL's startup option
  `-c statement_timeout=<ms>`; MariaDB `SET SESSION max_statement_time` (s),
  MySQL `SET SESSION max_execution_time` (ms, SELECTs only), run on connect.

A server frozen with SIGSTOP still has its kernel accept connections and ACK
data, so keepalives and `tcp_user_timeout` never fire: only PyMySQL's
read timeout and the service's request deadline bound that case.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

# libpq keepalive timings (s): probe an idle connection after 10 s, every 5 s, give up after 3.
_PG_KEEPALIVE = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5}
_PG_KEEPALIVE_COUNT = 3
_LIBPQ_MIN_CONNECT_TIMEOUT = 2


@dataclass(frozen=True)
class Timeouts:
    """The bounds one engine's connections get (seconds); `statement` None: not set."""

    connect: float
    read: float
    statement: float | None = None


# MySQL-family drivers whose timeouts are whole seconds (SQLAlchemy's driver name).
WHOLE_SECOND_DRIVERS = frozenset({"mysqldb"})


def driver_args(backend: str, timeouts: Timeouts, driver: str = "") -> dict[str, Any]:
    """The DB-API `connect()` arguments that bound a connection of `backend` via `driver`
    (SQLAlchemy's driver name: pymysql, mysqldb, psycopg; "" for the backend's default)."""
    if backend in ("mysql", "mariadb"):
        connect, read = timeouts.connect, timeouts.read
        if driver in WHOLE_SECOND_DRIVERS:
            return {
                "connect_timeout": max(1, math.ceil(connect)),
                "read_timeout": max(1, math.ceil(read)),
                "write_timeout": max(1, math.ceil(read)),
            }
        return {"connect_timeout": connect, "read_timeout": read, "write_timeout": read}
    if backend == "postgresql":
        args: dict[str, Any] = {
            "connect_timeout": max(_LIBPQ_MIN_CONNECT_TIMEOUT, math.ceil(timeouts.connect)),
            **_PG_KEEPALIVE,
            "keepalives_count": _PG_KEEPALIVE_COUNT,
            "tcp_user_timeout": round(timeouts.read * 1000),
        }
        if timeouts.statement is not None:
            args["options"] = f"-c statement_timeout={_ms(timeouts.statement)}"
        return args
    return {}


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _mysql_family_statement(is_mariadb: bool, seconds: float) -> str:
    if is_mariadb:
        return f"SET SESSION max_statement_time = {seconds:.3f}"
    return f"SET SESSION max_execution_time = {_ms(seconds)}"


def session_statement_timeout(engine: Engine, seconds: float) -> None:
    """Give each new MySQL/MariaDB connection of `engine` a statement timeout.

    PostgreSQL gets it at startup through `driver_args`; MariaDB and MySQL spell
    it differently and are told apart only once connected (the dialect's
    `is_mariadb`, known from the first connection on).
    """
    if engine.dialect.name not in ("mysql", "mariadb"):
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        statement = _mysql_family_statement(getattr(engine.dialect, "is_mariadb", False), seconds)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(statement)
        finally:
            cursor.close()


# Driver error codes meaning "the statement ran longer than the session's statement timeout".
STATEMENT_TIMEOUT_CODES = frozenset({"57014", "1969", "3024"})

# Driver error codes meaning "the server gave up on this transaction; run it again": InnoDB's
# deadlock victim (1213, the whole transaction rolled back) and a snapshot older than the
# table it reads (1412, ER_TABLE_DEF_CHANGED: after an online schema change swapped the
# table), PostgreSQL's deadlock_detected (40P01) and serialization_failure (40001).
# Lock wait timeouts are not here: the wait already took its whole budget.
RETRY_TRANSACTION_CODES = frozenset({"1213", "1412", "40P01", "40001"})

__all__ = [
    "RETRY_TRANSACTION_CODES",
    "STATEMENT_TIMEOUT_CODES",
    "WHOLE_SECOND_DRIVERS",
    "Timeouts",
    "driver_args",
    "session_statement_timeout",
]
