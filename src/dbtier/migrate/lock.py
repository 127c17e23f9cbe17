"""The migration lock: one runner at a time per database, held by the session.

One strategy object per engine, all with the same two methods:

- MySQL/MariaDB: `GET_LOCK(name, wait)`. Names are server-wide, so the name
  carries the database's name. The lock belongs to the connection and dies
  with it.
- PostgreSQL: `pg_advisory_lock(key)` at *session* level (advisory locks are
  per database). A transaction-level lock would be dropped by the commit of
  an `autocommit_block()` (needed for `CREATE INDEX CONCURRENTLY`); a session
  lock is kept until the connection ends. The wait is bounded with
  `SET LOCAL lock_timeout`, so nothing of it outlives the attempt.
- SQLite: an exclusive `filelock` lock file beside the database file. It is
  an OS lock (flock), so the kernel drops it when the process dies.

The lock is taken before anything else the job does in the database, and
before the job sets its lock/statement timeouts, so that waiting for the
migration lock is bounded only by `--lock-wait`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol

import filelock
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from dbtier.migrate.timeouts import error_code

LOCK_NAME = "dbtier.migrate"
_MYSQL_NAME_LIMIT = 64


class MigrationLock(Protocol):
    """A lock that at most one migration runner holds per database."""

    description: str

    def acquire(self, wait: float) -> bool:
        """Wait at most `wait` seconds; True when the lock is now held."""

    def release(self) -> None:
        """Let go (also happens when the connection or process ends)."""


def advisory_key(name: str = LOCK_NAME) -> int:
    """A stable signed 64-bit key for `pg_advisory_lock`, derived from a name."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresAdvisoryLock:
    """`pg_advisory_lock` held by the job's session."""

    def __init__(self, connection: Connection, key: int | None = None) -> None:
        self.connection = connection
        self.key = advisory_key() if key is None else key
        self.description = f"pg_advisory_lock({self.key})"

    def acquire(self, wait: float) -> bool:
        conn = self.connection
        if wait <= 0:
            held = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
            )
            conn.commit()
            return held
        try:
            conn.execute(text(f"SET LOCAL lock_timeout = {max(1, round(wait * 1000))}"))
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": self.key})
        except DBAPIError as exc:
            conn.rollback()
            if error_code(exc) == "55P03":  # lock_not_available: the wait ran out
                return False
            raise
        conn.commit()  # the session lock outlives the transaction; SET LOCAL does not
        return True

    def release(self) -> None:
        self.connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
        self.connection.commit()


def mysql_lock_name(database: str | None) -> str:
    """`GET_LOCK` names are server-wide and at most 64 characters: name the database."""
    name = f"{LOCK_NAME}:{database or ''}"
    if len(name) <= _MYSQL_NAME_LIMIT:
        return name
    return f"{LOCK_NAME}:{hashlib.sha256(name.encode()).hexdigest()[:40]}"


class MySQLNamedLock:
    """`GET_LOCK` held by the job's connection (MySQL and MariaDB)."""

    def __init__(self, connection: Connection, database: str | None) -> None:
        self.connection = connection
        self.name = mysql_lock_name(database)
        self.description = f"GET_LOCK({self.name!r})"

    def acquire(self, wait: float) -> bool:
        got = self.connection.execute(
            text("SELECT GET_LOCK(:name, :wait)"), {"name": self.name, "wait": max(0.0, wait)}
        ).scalar()
        self.connection.commit()
        return got == 1

    def release(self) -> None:
        self.connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": self.name})
        self.connection.commit()


def sqlite_lock_path(database: str) -> Path:
    """The lock file beside a SQLite database file."""
    path = Path(database)
    return path.with_name(f"{path.name}.migrate.lock")


class SQLiteFileLock:
    """An exclusive lock file beside the SQLite database (an OS lock, gone with the process)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"lock file {path}"
        self._lock = filelock.FileLock(path)

    def acquire(self, wait: float) -> bool:
        try:
            self._lock.acquire(timeout=max(0.0, wait))
        except filelock.Timeout:
            return False
        return True

    def release(self) -> None:
        self._lock.release()


class ProcessLocalLock:
    """For an in-memory SQLite database: no other process can see it, so nothing to lock."""

    description = "in-memory database (no lock needed)"

    def acquire(self, wait: float) -> bool:
        return True

    def release(self) -> None:
        return None


def lock_for(connection: Connection) -> MigrationLock:
    """The lock strategy for the engine behind a live connection."""
    dialect = connection.dialect.name
    database = connection.engine.url.database
    if dialect == "postgresql":
        return PostgresAdvisoryLock(connection)
    if dialect in ("mysql", "mariadb"):
        return MySQLNamedLock(connection, database)
    if dialect == "sqlite":
        if not database or database == ":memory:" or database.startswith("file::memory:"):
            return ProcessLocalLock()
        return SQLiteFileLock(sqlite_lock_path(database))
    raise NotImplementedError(f"dbtier migrate has no lock for the {dialect!r} engine")


__all__ = [
    "LOCK_NAME",
    "MigrationLock",
    "MySQLNamedLock",
    "PostgresAdvisoryLock",
    "ProcessLocalLock",
    "SQLiteFileLock",
    "advisory_key",
    "lock_for",
    "mysql_lock_name",
    "sqlite_lock_path",
]
