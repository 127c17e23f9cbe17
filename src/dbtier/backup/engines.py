"""One backup strategy per engine: how to dump, restore, and make or drop a scratch database.

    SQLite      the online backup API (`sqlite3.Connection.backup`): a consistent copy
                while writers go on; counts are read from the copy itself.
    MariaDB /   `mariadb-dump` (or `mysqldump`) `--single-transaction`, gzip-compressed;
    MySQL       restored with the `mariadb`/`mysql` client. Row counts come from a
                consistent-snapshot transaction opened just before the dump
                (MySQL cannot share a snapshot with mysqldump), so under
                concurrent writes they may differ from the dump: the manifest
                says `counts_exact: false`.
    PostgreSQL  `pg_dump -Fc` inside a snapshot that dbtier exported and counted
                in (`pg_export_snapshot()` + `pg_dump --snapshot`), so the counts
                are exactly the dump's; restored with `pg_restore --single-transaction`.

Passwords never reach a command line: the MySQL tools read a 0600 option file,
libpq reads `PGPASSWORD` from the child's environment. Every program runs with
a deadline; a backup is written to a temporary name and renamed when complete.
"""

from __future__ import annotations

import gzip
import os
import shutil
import sqlite3
import subprocess
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, Connection

from dbtier.errors import DbtierError, UsageError


class BackupFailed(DbtierError):
    """A dump or restore program failed or ran past its deadline; the message says which."""

    exit_code = 1


@dataclass(frozen=True)
class DumpResult:
    row_counts: dict[str, int]
    revision: str | None
    tool: str
    counts_exact: bool


def count_rows(conn: Connection) -> dict[str, int]:
    """Rows per table, in the connection's current transaction."""
    prep = conn.dialect.identifier_preparer
    return {
        name: int(conn.execute(text(f"SELECT COUNT(*) FROM {prep.quote(name)}")).scalar() or 0)
        for name in sorted(inspect(conn).get_table_names())
    }


def read_revision(conn: Connection) -> str | None:
    """The Alembic revision(s) recorded in the database, comma-joined, or None."""
    if "alembic_version" not in inspect(conn).get_table_names():
        return None
    revisions = sorted(
        str(r) for r in conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
    )
    return ",".join(revisions) or None


class Strategy(ABC):
    engine: str
    extension: str

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    @abstractmethod
    def dump(self, url: URL, target: Path) -> DumpResult:
        """Write a backup of `url` to `target` (a temporary name the caller renames)."""

    @abstractmethod
    def restore(self, source: Path, url: URL) -> None:
        """Load the backup `source` into the existing, empty database `url`."""

    @abstractmethod
    def create_database(self, url: URL) -> None:
        """Create the empty database `url` names."""

    @abstractmethod
    def drop_database(self, url: URL) -> None:
        """Drop the database `url` names (a scratch database of a drill)."""

    def scratch_url(self, url: URL, name: str) -> URL:
        """A new database beside `url`'s, on the same server."""
        return url.set(database=name)

    def _run(
        self, argv: list[str], what: str, **kwargs: object
    ) -> subprocess.CompletedProcess[bytes]:
        try:
            # argv is a fixed program and options built here; no shell.
            result: subprocess.CompletedProcess[bytes] = subprocess.run(  # noqa: S603
                argv,
                capture_output=True,
                timeout=self.timeout,
                check=False,
                **kwargs,  # type: ignore[call-overload]
            )
        except FileNotFoundError:
            raise BackupFailed(f"{what}: {argv[0]} is not installed") from None
        except subprocess.TimeoutExpired:
            raise BackupFailed(
                f"{what}: {argv[0]} ran past its {self.timeout:g} s deadline"
            ) from None
        if result.returncode != 0:
            stderr = result.stderr.decode(errors="replace").strip()[-1500:]
            raise BackupFailed(f"{what}: {argv[0]} exited {result.returncode}: {stderr}")
        return result

    def _ensure_empty(self, url: URL) -> None:
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                tables = inspect(conn).get_table_names()
        finally:
            engine.dispose()
        if tables:
            raise UsageError(
                f"restore target {url.render_as_string(hide_password=True)} already has tables "
                f"({', '.join(sorted(tables)[:5])}...): restore into an empty database"
            )


class SqliteStrategy(Strategy):
    engine = "sqlite"
    extension = "sqlite3"

    def dump(self, url: URL, target: Path) -> DumpResult:
        source = _sqlite_path(url)
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        engine = create_engine(f"sqlite:///{target}")
        try:
            with engine.connect() as conn:
                counts, revision = count_rows(conn), read_revision(conn)
        finally:
            engine.dispose()
        return DumpResult(counts, revision, f"sqlite3 backup API {sqlite3.sqlite_version}", True)

    def restore(self, source: Path, url: URL) -> None:
        target = _sqlite_path(url)
        if target.exists() and target.stat().st_size > 0:
            self._ensure_empty(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)

    def create_database(self, url: URL) -> None:
        _sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)

    def drop_database(self, url: URL) -> None:
        path = _sqlite_path(url)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def scratch_url(self, url: URL, name: str) -> URL:
        return url.set(database=str(_sqlite_path(url).with_name(f"{name}.sqlite3")))


class MySqlStrategy(Strategy):
    engine = "mysql"
    extension = "sql.gz"

    def dump(self, url: URL, target: Path) -> DumpResult:
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                conn.exec_driver_sql("START TRANSACTION WITH CONSISTENT SNAPSHOT")
                counts, revision = count_rows(conn), read_revision(conn)
                conn.rollback()
        finally:
            engine.dispose()
        program = _first_installed("mariadb-dump", "mysqldump")
        with _option_file(url) as options:
            argv = [
                program,
                f"--defaults-extra-file={options}",
                "--single-transaction",
                "--quick",
                "--routines",
                "--triggers",
                "--hex-blob",
                "--no-tablespaces",
                "--default-character-set=utf8mb4",
                str(url.database),
            ]
            self._stream_to_gzip(argv, target)
        return DumpResult(counts, revision, _version(program), False)

    def _stream_to_gzip(self, argv: list[str], target: Path) -> None:
        with gzip.open(target, "wb") as out, tempfile.TemporaryFile() as err:
            process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err)  # noqa: S603
            assert process.stdout is not None
            shutil.copyfileobj(process.stdout, out, 1 << 20)
            try:
                code = process.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                raise BackupFailed(
                    f"backup: {argv[0]} ran past its {self.timeout:g} s deadline"
                ) from None
            if code != 0:
                err.seek(0)
                message = err.read().decode(errors="replace")[-1500:]
                raise BackupFailed(f"backup: {argv[0]} exited {code}: {message}")

    def restore(self, source: Path, url: URL) -> None:
        self._ensure_empty(url)
        program = _first_installed("mariadb", "mysql")
        with _option_file(url) as options, tempfile.TemporaryFile() as plain:
            with gzip.open(source, "rb") as dump:
                shutil.copyfileobj(dump, plain, 1 << 20)
            plain.seek(0)
            self._run(
                [
                    program,
                    f"--defaults-extra-file={options}",
                    "--default-character-set=utf8mb4",
                    str(url.database),
                ],
                "restore",
                stdin=plain,
            )

    def create_database(self, url: URL) -> None:
        self._admin(
            url,
            f"CREATE DATABASE `{url.database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
        )

    def drop_database(self, url: URL) -> None:
        self._admin(url, f"DROP DATABASE IF EXISTS `{url.database}`")

    def _admin(self, url: URL, statement: str) -> None:
        engine = create_engine(url._replace(database=None), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(statement)
        finally:
            engine.dispose()


class PostgresStrategy(Strategy):
    engine = "postgresql"
    extension = "dump"

    def dump(self, url: URL, target: Path) -> DumpResult:
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                snapshot = str(conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar())
                counts, revision = count_rows(conn), read_revision(conn)
                # The snapshot lives while this transaction does: pg_dump reads exactly it.
                self._run(
                    [
                        "pg_dump",
                        "-Fc",
                        f"--snapshot={snapshot}",
                        "-f",
                        str(target),
                        "--dbname",
                        _libpq(url),
                    ],
                    "backup",
                    env=_pg_env(url),
                )
                conn.rollback()
        finally:
            engine.dispose()
        return DumpResult(counts, revision, _version("pg_dump"), True)

    def restore(self, source: Path, url: URL) -> None:
        self._ensure_empty(url)
        self._run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                _libpq(url),
                str(source),
            ],
            "restore",
            env=_pg_env(url),
        )

    def create_database(self, url: URL) -> None:
        self._admin(url, f'CREATE DATABASE "{url.database}"')

    def drop_database(self, url: URL) -> None:
        self._admin(url, f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')

    def _admin(self, url: URL, statement: str) -> None:
        engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(statement)
        finally:
            engine.dispose()


def strategy_for(url: URL, timeout: float = 3600.0) -> Strategy:
    """The strategy for `url`'s backend."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return SqliteStrategy(timeout)
    if backend in ("mysql", "mariadb"):
        return MySqlStrategy(timeout)
    if backend == "postgresql":
        return PostgresStrategy(timeout)
    raise UsageError(f"--database-url: backups of {backend} databases are not supported")


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise UsageError("an in-memory SQLite database has nothing to back up")
    return Path(url.database)


def _first_installed(*programs: str) -> str:
    for program in programs:
        found = shutil.which(program)
        if found:
            return found
    raise BackupFailed(
        f"none of {', '.join(programs)} is installed (apt-get install mariadb-client)"
    )


def _version(program: str) -> str:
    try:
        out = subprocess.run(  # noqa: S603
            [program, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return Path(program).name
    return out.stdout.strip().splitlines()[0] if out.stdout.strip() else Path(program).name


@contextmanager
def _option_file(url: URL) -> Iterator[Path]:
    """A 0600 MySQL option file with the connection's host, port, user and password."""
    lines = ["[client]", f"host={url.host or '127.0.0.1'}", f"port={url.port or 3306}"]
    if url.username:
        lines.append(f"user={url.username}")
    if url.password:
        lines.append(f"password={url.password}")
    fd, name = tempfile.mkstemp(prefix="dbtier-my-", suffix=".cnf")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write("\n".join(lines) + "\n")
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def _libpq(url: URL) -> str:
    """A libpq connection URI without the password (that goes in PGPASSWORD)."""
    user = f"{url.username}@" if url.username else ""
    port = f":{url.port}" if url.port else ""
    return f"postgresql://{user}{url.host or '127.0.0.1'}{port}/{url.database}"


def _pg_env(url: URL) -> dict[str, str]:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return env


__all__ = [
    "BackupFailed",
    "DumpResult",
    "MySqlStrategy",
    "PostgresStrategy",
    "SqliteStrategy",
    "Strategy",
    "count_rows",
    "read_revision",
    "strategy_for",
]
