"""Throwaway MariaDB and PostgreSQL servers: own data directory, own port, removed on exit.

The shared servers on 3306/5432 are never touched. Each server here lives
under one temporary directory, listens on 127.0.0.1 at its own port (3307 and
5433 by default) and on a Unix socket, runs as the engine's system user, and is
restarted with a new configuration file for each configuration benchmarked.
The engines differ only in the facts of `MariaDB` and `Postgres`.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pymysql

from bench.params import huge_pages, io_limit, memory_limit
from dbtier.testing.servers import cpu_seconds, process_tree

_READY_TIMEOUT_S = 180.0
_STOP_TIMEOUT_S = 300.0
_STATS_WAIT_S = 5.0  # for a closed client's backends to report their reads (PostgreSQL)
PRISTINE_SUFFIX = "_pristine"  # the loaded data's template database (PostgreSQL)


class ServerError(RuntimeError):
    """A throwaway server could not be created, started or stopped; the message names its log."""


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class ThrowawayServer(ABC):
    """One server process over one data directory under `base`."""

    engine: str
    system_user: str

    def __init__(
        self,
        base: Path,
        port: int,
        limit: memory_limit.MemoryLimit,
        io: io_limit.IoLimit | None = None,
        huge: huge_pages.HugePages | None = None,
    ) -> None:
        self.base = base
        self.port = port
        self.limit = limit
        self.io = io
        self.huge = huge  # offered for shared memory at each start (None: never)
        self.huge_pages_used = 0  # pages the running server took (0: 4 KiB pages)
        self._huge_claimed_before = 0  # the host's claimed huge pages before this start
        self.process: subprocess.Popen[bytes] | None = None
        self.datadir = base / "data"
        # Its own: MariaDB deletes every `#sql*` file in its tmpdir when it starts.
        self.tmpdir = base / "tmp"
        self.log_path = base / "server.log"
        self.conf_path = base / "server.conf"

    # engine facts -------------------------------------------------------------
    @abstractmethod
    def _initialize_argv(self) -> list[str]:
        """The command that creates an empty data directory."""

    @abstractmethod
    def _server_argv(self) -> list[str]:
        """The command that runs the server in the foreground with `conf_path`."""

    @abstractmethod
    def _harness_conf(self) -> str:
        """Settings every configuration shares: paths, port, socket (written last, so they win)."""

    @abstractmethod
    def _compose_conf(self, fragment: str) -> str:
        """The whole configuration file: `fragment` (a configuration's values) then the harness."""

    @abstractmethod
    def connect(self, database: str | None = None) -> Any:
        """A DB-API connection as the superuser over the Unix socket (autocommit)."""

    @abstractmethod
    def _before_start(self) -> None:
        """Reset state that would carry one configuration's warmth into the next."""

    def huge_pages_needed(self) -> int:
        """Huge pages the configuration written last would map its shared memory in (0: none)."""
        return 0

    # In what order `prewarm` reads, for the report: where the data is larger than memory,
    # what was read last is what the cache holds when the warm-up starts.
    prewarm_order = ""

    @abstractmethod
    def prewarm(self, databases: list[str]) -> None:
        """Read every table and index of `databases` once, as a long-running server would have."""

    def execute(self, statement: str, database: str | None = None) -> None:
        """Run one statement on a connection of its own (autocommit), then close it."""
        connection = self.connect(database)
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement)
        finally:
            connection.close()

    @abstractmethod
    def settle(self, databases: list[str]) -> None:
        """Clean up after a configuration's runs, untimed, so the next one starts from the same
        state: the dead rows its writes left would otherwise be vacuumed (purged) under the
        next configuration's settings, at its start, and counted against it."""

    @abstractmethod
    def loaded(self) -> None:
        """The data is in: what the timed runs need and the load did not takes effect from
        the next start."""

    def keep_pristine(self, databases: list[str]) -> bool:
        """Set the loaded `databases` aside, so `reset` can give each configuration a copy.

        Returns False where the engine has no cheap copy (MariaDB): there each configuration
        runs on the data the ones before it wrote, and only `settle` evens them out.
        """
        del databases
        return False

    def reset(self, databases: list[str]) -> None:
        """Replace `databases` by fresh copies of what `keep_pristine` set aside (running)."""
        del databases

    @abstractmethod
    def cache_reads(self) -> tuple[int, int]:
        """(pages the server has read, pages of those it fetched from outside its own cache).

        Counted since the server started, the background's included; a timed run's share is
        the difference of two readings around it. Outside the cache means the volume for
        InnoDB (O_DIRECT), the operating system's page cache or the volume for PostgreSQL.
        """

    def spills(self) -> dict[str, int]:
        """Counters of work that left memory or reached the slow log, since the server
        started: `temp_to_disk` (internal temporary tables written to disk; PostgreSQL:
        temporary files of sorts and hashes), `sort_merges` (MariaDB's merge passes of
        sorts that outgrew `sort_buffer_size`) and `slow_queries` (statements over
        `long_query_time`); PostgreSQL also `checkpoints` begun and the pages they wrote
        (`checkpoint_pages`). What a configuration's smaller buffers, its slow log or its
        checkpoint spacing cost."""
        return {}

    def cpu_seconds(self) -> float:
        """User and system CPU seconds the server has used since it started: its threads,
        its processes and those it has reaped (0 when it is not running).

        A timed run's share is the difference of two readings around it. Read it after
        `cache_reads`, which on PostgreSQL waits until the client's backends are gone: a
        backend's CPU then counts in the postmaster's (reaped) children.
        """
        if self.process is None:
            return 0.0
        return cpu_seconds(process_tree(self.process.pid))

    # True where `maintenance` can see something; elsewhere no watch runs beside a timed run.
    watches_maintenance = False

    def maintenance(self, cursor: Any) -> list[str]:
        """The background maintenance running now, one line each ("nippo: VACUUM public.t")."""
        del cursor
        return []

    @contextlib.contextmanager
    def watching_maintenance(self, interval: float = 0.5) -> Iterator[dict[str, float]]:
        """Seconds each kind of background maintenance ran while the block runs.

        A thread polls `maintenance` every `interval` on a connection of its own, so a timed
        run can say what vacuum or analysis ran beside it (and under which configuration).
        """
        seen: dict[str, float] = {}
        if not self.watches_maintenance:  # nothing to see: no connection, no thread
            yield seen
            return
        stop = threading.Event()
        connection = self.connect()

        def poll() -> None:
            last = time.monotonic()
            with connection.cursor() as cursor:
                while not stop.wait(interval):
                    now = time.monotonic()
                    for activity in self.maintenance(cursor):
                        seen[activity] = seen.get(activity, 0.0) + now - last
                    last = now

        thread = threading.Thread(target=poll, name="maintenance-watch", daemon=True)
        thread.start()
        try:
            yield seen
        finally:
            stop.set()
            thread.join()
            connection.close()

    shutdown_signal: signal.Signals = signal.SIGTERM

    # lifecycle ----------------------------------------------------------------
    def initialize(self) -> None:
        """Create the base directory and an empty data directory owned by the system user."""
        if not _port_free(self.port):
            raise ServerError(
                f"port {self.port} is in use; stop what listens there or pass another port"
            )
        self.base.mkdir(parents=True)
        self.base.chmod(0o755)
        self.datadir.mkdir(mode=0o700)
        self.tmpdir.mkdir(mode=0o700)
        shutil.chown(self.base, self.system_user, self.system_user)
        shutil.chown(self.datadir, self.system_user, self.system_user)
        shutil.chown(self.tmpdir, self.system_user, self.system_user)
        self._run_checked(self._initialize_argv(), "initialize the data directory")

    def start(self, fragment: str) -> None:
        """Write the configuration (`fragment` + harness settings) and start; wait until ready."""
        self.write_conf(fragment)
        self._before_start()
        self._offer_huge_pages()
        log = self.log_path.open("ab")
        argv = self._server_argv()
        if self.io is not None:
            argv = io_limit.wrap(self.io, argv)
        argv = memory_limit.wrap(self.limit, argv)
        # Own session: a Ctrl-C reaches the benchmark, which then shuts the server down cleanly.
        self.process = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                raise ServerError(
                    f"{self.engine} exited while starting; see the end of {self.log_path}:\n"
                    + self.log_tail()
                )
            with contextlib.suppress(Exception):
                self.connect().close()
                self._keep_huge_pages_if_used()
                return
            time.sleep(0.5)
        self.stop()
        raise ServerError(f"{self.engine} did not accept connections in {_READY_TIMEOUT_S:.0f}s")

    def write_conf(self, fragment: str) -> None:
        """Write the configuration file the next start reads: `fragment`, then the harness."""
        self.conf_path.write_text(self._compose_conf(fragment))
        shutil.chown(self.conf_path, self.system_user, self.system_user)

    def stop(self) -> None:
        """Shut the server down cleanly (kill after a timeout); a no-op when it is not running."""
        if self.process is None:
            return
        process, self.process = self.process, None
        if process.poll() is None:
            process.send_signal(self.shutdown_signal)
            try:
                process.wait(timeout=_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._give_back_huge_pages()

    def _offer_huge_pages(self) -> None:
        """Reserve what the configuration's shared memory needs; the memory cgroup shrinks by it."""
        self.huge_pages_used = 0
        if self.huge is None or not self.huge.usable:
            return
        needed = self.huge_pages_needed()
        if needed == 0:
            return
        self._huge_claimed_before = huge_pages.claimed(huge_pages.meminfo())
        if self.huge.reserve(needed) < needed:  # too few free: PostgreSQL's `try` falls back
            self.huge.release()
            return
        memory_limit.set_limit(
            self.limit, self.limit.limit_bytes - self.huge.reserved * self.huge.page_bytes
        )

    def _keep_huge_pages_if_used(self) -> None:
        """Once the server is up: note the pages it took, or give them back if it took none."""
        if self.huge is None or not self.huge.reserved:
            return
        used = huge_pages.claimed(huge_pages.meminfo()) - self._huge_claimed_before
        if used > 0:
            self.huge_pages_used = used
        else:
            self._give_back_huge_pages()

    def _give_back_huge_pages(self) -> None:
        if self.huge is not None and self.huge.reserved:
            self.huge.release()
            memory_limit.set_limit(self.limit, self.limit.limit_bytes)
        self.huge_pages_used = 0

    def shared_memory(self) -> str:
        """How the running server's shared memory is mapped, for the settings table."""
        if self.huge is None or not self.huge.usable:
            return "4 KiB pages"
        if self.huge_pages_used:
            size = self.huge.page_bytes // 1024
            return f"{self.huge_pages_used} × {size} kB huge pages"
        return "4 KiB pages (took no huge pages)"

    def destroy(self) -> None:
        """Stop the server and remove everything under `base`."""
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the server's log."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def _run_checked(self, argv: list[str], what: str) -> None:
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise ServerError(
                f"could not {what} for {self.engine} ({' '.join(argv[:3])} ...):\n"
                + (result.stderr or result.stdout)[-2000:]
            )

    def as_user(self, argv: list[str]) -> list[str]:
        """`argv` run as the engine's system user (servers refuse, or should not run as root)."""
        user = self.system_user
        return ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", *argv]


class MariaDB(ThrowawayServer):
    """MariaDB 10.11 (mariadbd), configured by a my.cnf given with --defaults-file."""

    engine = "mariadb"
    system_user = "mysql"
    # RDS for MySQL and MariaDB keeps a binary log whenever automated backups are on (point-in-
    # time recovery replays it), so every commit also writes and, with sync_binlog = 1, syncs
    # the binlog. The benchmark's runs do too; the load before them does not (`loaded` turns
    # it on), which keeps gigabytes of load events off the disk.
    binary_log = False

    def loaded(self) -> None:
        self.binary_log = True

    @property
    def socket_path(self) -> Path:
        return self.base / "mysqld.sock"

    def _initialize_argv(self) -> list[str]:
        return [
            "mariadb-install-db",
            "--no-defaults",
            f"--datadir={self.datadir}",
            f"--user={self.system_user}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            f"--tmpdir={self.tmpdir}",
        ]

    def _server_argv(self) -> list[str]:
        return ["mariadbd", f"--defaults-file={self.conf_path}"]

    def _harness_conf(self) -> str:
        return "\n".join(
            [
                "[mariadbd]",
                f"user={self.system_user}",
                f"datadir={self.datadir}",
                f"tmpdir={self.tmpdir}",
                f"socket={self.socket_path}",
                f"port={self.port}",
                "bind-address=127.0.0.1",
                f"pid-file={self.base / 'mariadbd.pid'}",
                f"log-error={self.log_path}",
                f"slow_query_log_file={self.base / 'slow.log'}",
                f"general_log_file={self.base / 'general.log'}",
                *(["log-bin=binlog", "server-id=1"] if self.binary_log else []),
                "",
            ]
        )

    def _compose_conf(self, fragment: str) -> str:
        return fragment.rstrip() + "\n\n# bench harness: paths and port\n" + self._harness_conf()

    def _before_start(self) -> None:
        # MariaDB reloads the pages listed at the previous shutdown; every configuration
        # starts cold instead, so one configuration's buffer pool never warms the next's.
        (self.datadir / "ib_buffer_pool").unlink(missing_ok=True)

    prewarm_order = "each index in information_schema's order"

    def prewarm(self, databases: list[str]) -> None:
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT DISTINCT table_schema, table_name, index_name"
                    " FROM information_schema.statistics WHERE table_schema IN %s",
                    (tuple(databases),),
                )
                for schema, table, index in cursor.fetchall():
                    cursor.execute(
                        f"SELECT COUNT(*) FROM `{schema}`.`{table}` FORCE INDEX (`{index}`)"
                    )
                    cursor.fetchall()
        finally:
            connection.close()

    def settle(self, databases: list[str]) -> None:
        # A slow shutdown purges every undo record and merges the change buffer before the
        # server exits, instead of leaving them to the next start.
        del databases
        self.execute("SET GLOBAL innodb_fast_shutdown = 0")
        if self.binary_log:
            # The runs' binlog is not needed afterwards: the next start begins a new one.
            self.execute("RESET MASTER")

    def _global_status(self, *names: str) -> dict[str, int]:
        """`SHOW GLOBAL STATUS` for `names`, keyed by lower-case name."""
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SHOW GLOBAL STATUS WHERE Variable_name IN %s", (names,))
                return {name.lower(): int(value) for name, value in cursor.fetchall()}
        finally:
            connection.close()

    def spills(self) -> dict[str, int]:
        found = self._global_status("Created_tmp_disk_tables", "Sort_merge_passes", "Slow_queries")
        return {
            "temp_to_disk": found["created_tmp_disk_tables"],
            "sort_merges": found["sort_merge_passes"],
            "slow_queries": found["slow_queries"],
        }

    def cache_reads(self) -> tuple[int, int]:
        found = self._global_status("Innodb_buffer_pool_read_requests", "Innodb_buffer_pool_reads")
        return found["innodb_buffer_pool_read_requests"], found["innodb_buffer_pool_reads"]

    def connect(self, database: str | None = None) -> Any:
        return pymysql.connect(
            unix_socket=str(self.socket_path),
            user="root",
            database=database,
            autocommit=True,
            connect_timeout=5,
        )


class Postgres(ThrowawayServer):
    """PostgreSQL 15, its postgresql.conf replaced for each configuration."""

    engine = "postgres"
    system_user = "postgres"
    shutdown_signal = signal.SIGINT  # "fast" shutdown: roll back clients, checkpoint, exit
    bindir = Path("/usr/lib/postgresql/15/bin")

    @property
    def socket_dir(self) -> Path:
        return self.base

    def _initialize_argv(self) -> list[str]:
        return self.as_user(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.datadir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ]
        )

    def _server_argv(self) -> list[str]:
        return self.as_user(
            [
                str(self.bindir / "postgres"),
                "-D",
                str(self.datadir),
                "-c",
                f"config_file={self.conf_path}",
            ]
        )

    def _harness_conf(self) -> str:
        return "\n".join(
            [
                f"port = {self.port}",
                "listen_addresses = '127.0.0.1'",
                f"unix_socket_directories = '{self.socket_dir}'",
                f"hba_file = '{self.datadir / 'pg_hba.conf'}'",
                f"ident_file = '{self.datadir / 'pg_ident.conf'}'",
                "logging_collector = off",
                "",
            ]
        )

    def _compose_conf(self, fragment: str) -> str:
        return fragment.rstrip() + "\n\n# bench harness: paths and port\n" + self._harness_conf()

    def _before_start(self) -> None:
        return None

    def huge_pages_needed(self) -> int:
        # Both asked of the configuration file about to be used, with the server stopped.
        asked = {}
        for name in ("huge_pages", "shared_memory_size_in_huge_pages"):
            result = subprocess.run(
                [*self._server_argv(), "-C", name], capture_output=True, text=True, check=False
            )
            if result.returncode != 0:
                return 0
            asked[name] = result.stdout.strip()
        if asked["huge_pages"] == "off":
            return 0
        return max(int(asked["shared_memory_size_in_huge_pages"]), 0)

    prewarm_order = (
        "tables, then indexes, each kind largest first: under uniform lookups the indexes, "
        "which every lookup goes through, are what a long-running server's cache holds"
    )

    def prewarm(self, databases: list[str]) -> None:
        # pg_prewarm reads each relation into shared_buffers (as far as they hold it). In
        # pg_class's order a data set larger than memory left whichever relations came last
        # (session 9: nippo's mix moved by a quarter between runs); indexes last leave the
        # cache near the state the lookups keep it in, which a 20 s window cannot reach
        # itself at 3,000 reads/s.
        for database in databases:
            connection = self.connect(database)
            try:
                with connection.cursor() as cursor:
                    cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
                    cursor.execute(
                        "SELECT pg_prewarm(c.oid::regclass) FROM pg_class c"
                        " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'i')"
                        " ORDER BY c.relkind = 'i', pg_relation_size(c.oid) DESC"
                    )
            finally:
                connection.close()

    def loaded(self) -> None:
        # The load already ran with everything the timed runs have (WAL as on RDS).
        return

    def settle(self, databases: list[str]) -> None:
        # Vacuumed and analyzed here, a table's dead rows are not left to autovacuum at the
        # next configuration's start, where a restart would also cut it off and begin again.
        for database in databases:
            self.execute("VACUUM (ANALYZE)", database)

    def keep_pristine(self, databases: list[str]) -> bool:
        # The loaded, vacuumed data becomes a template, never written again.
        for database in databases:
            self.execute(f"ALTER DATABASE {database} RENAME TO {database}{PRISTINE_SUFFIX}")
        return True

    def reset(self, databases: list[str]) -> None:
        # A file-level copy of the template: every configuration reads and writes the same
        # pages in the same order, instead of the rows the runs before it moved. (The mix's
        # updates move rows to other pages; throughput fell by a fifth over a run's rounds.)
        for database in databases:
            self.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            self.execute(
                f"CREATE DATABASE {database} TEMPLATE {database}{PRISTINE_SUFFIX}"
                " STRATEGY FILE_COPY"
            )

    def cache_reads(self) -> tuple[int, int]:
        # A backend adds its counts to pg_stat_database when it exits, before it leaves
        # pg_stat_activity: wait until the benchmark client's backends are gone.
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                deadline = time.monotonic() + _STATS_WAIT_S
                while time.monotonic() < deadline:
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
                    )
                    if cursor.fetchone()[0] == 0:
                        break
                    time.sleep(0.1)
                cursor.execute(
                    "SELECT coalesce(sum(blks_hit + blks_read), 0), coalesce(sum(blks_read), 0)"
                    " FROM pg_stat_database"
                )
                read, missed = cursor.fetchone()
        finally:
            connection.close()
        return int(read), int(missed)

    def spills(self) -> dict[str, int]:
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT coalesce(sum(temp_files), 0) FROM pg_stat_database")
                found = {"temp_to_disk": int(cursor.fetchone()[0])}
                # Checkpoints begun (by time or by WAL volume): each makes the next change
                # to every page write a full-page image into the WAL. And the WAL written
                # so far (its position in bytes): how fast a configuration reaches
                # max_wal_size ÷ (1 + checkpoint_completion_target), the volume at which
                # PostgreSQL requests a checkpoint.
                cursor.execute(
                    "SELECT checkpoints_timed + checkpoints_req, buffers_checkpoint,"
                    " pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"
                    " FROM pg_stat_bgwriter"
                )
                checkpoints, buffers, wal = cursor.fetchone()
                return found | {
                    "checkpoints": int(checkpoints),
                    "checkpoint_pages": int(buffers),
                    "wal_bytes": int(wal),
                }
        finally:
            connection.close()

    watches_maintenance = True

    def maintenance(self, cursor: Any) -> list[str]:
        cursor.execute(
            "SELECT datname, regexp_replace(query, '^autovacuum: ', '') FROM pg_stat_activity"
            " WHERE backend_type = 'autovacuum worker' AND query <> ''"
        )
        return [f"{database}: {what}" for database, what in cursor.fetchall()]

    def connect(self, database: str | None = None) -> Any:
        return psycopg.connect(
            host=str(self.socket_dir),
            port=self.port,
            user="postgres",
            dbname=database or "postgres",
            autocommit=True,
            connect_timeout=5,
        )


__all__ = ["MariaDB", "Postgres", "ServerError", "ThrowawayServer"]
