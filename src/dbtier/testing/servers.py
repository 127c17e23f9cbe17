"""Throwaway MariaDB and PostgreSQL servers: own port, own data directory, ended by PID.

The shared servers on 3306/5432 are never touched. A throwaway server lives
under one temporary directory, listens on 127.0.0.1 at a port chosen at run
time (bind port 0) and on a Unix socket in that directory, runs as the
engine's system user (`mysql` / `postgres`, via `setpriv`), and is always
ended by its own process id: by `stop()`, by leaving the `with` block, by the
finalizer when the object is collected, or at interpreter exit; and should the
process that started it be killed outright, the kernel kills the server too
(parent-death signal; so start servers from a thread that outlives their use,
normally the main thread).

API (both engines; engine differences are class attributes, not forks)::

    from dbtier.testing.servers import ThrowawayMariaDB, ThrowawayPostgres

    with ThrowawayPostgres(config=["statement_timeout = 0", "max_connections = 50"]) as pg:
        pg.port                    # the TCP port it listens on (127.0.0.1)
        pg.pid                     # the server's process id (its children are signalled with it)
        pg.url()                   # sqlalchemy URL, default driver (postgresql+psycopg)
        pg.url(database="app")     # ... naming a database
        pg.url(driver="postgresql+psycopg", user="u", password="p")
        pg.connect()               # DB-API superuser connection, Unix socket, autocommit
        pg.execute("CREATE DATABASE app")   # one superuser statement
        pg.freeze()                # SIGSTOP the server and its children: TCP accepts, no answers
        pg.thaw()                  # SIGCONT
        pg.stop(); pg.start()      # clean shutdown / start again on the same port and data
        pg.start(config=[...])     # restart with other extra configuration lines
        pg.kill()                  # SIGKILL the server and its children (a crash); start() recovers
        pg.log_path, pg.log_tail() # the server's log

`ThrowawayMariaDB` is the same with `mariadb+pymysql` URLs and `[mariadbd]`
configuration lines (`long_query_time=0`, `ssl_cert=...`, `max_connections=50`).

Without the `with` block: `server = ThrowawayMariaDB(); server.initialize();
server.start()` ... `server.destroy()` (stops it and removes its directory).

Signals go to the server and every process under it (found through /proc):
PostgreSQL serves each connection from a child process that calls setsid(), so
neither the postmaster alone nor its process group would freeze open
connections. MariaDB is one process. The server needs root to be
started (to switch to the system user); `available()` says whether this
machine can run the engine at all, and why not.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Self

from sqlalchemy import URL

READY_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 60.0
_ADMIN_CONNECT_TIMEOUT_S = 5
_START_ATTEMPTS = 3  # a port picked free can be taken before the server binds it


class ServerError(RuntimeError):
    """A throwaway server could not be created, started or stopped; the message names its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it: bind port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class _Process:
    """What the finalizer needs to end a server without the server object itself."""

    base: Path
    owns_base: bool
    popen: subprocess.Popen[bytes] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def _children(pid: int) -> list[int]:
    """Process ids whose parent is `pid`, from /proc (Linux): the `children` list of each
    of its threads, one small read each, where the kernel keeps them
    (CONFIG_PROC_CHILDREN), else a scan of every process's parent id."""
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:  # no such list on this kernel (or the thread just ended)
            return _scan_children(pid)
        except OSError:
            continue
    return found


def _scan_children(pid: int) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may hold spaces and parentheses.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def process_tree(pid: int) -> list[int]:
    """`pid` and every process under it, parents before their children (from /proc)."""
    pids = [pid]
    frontier = [pid]
    while frontier:
        frontier = [child for parent in frontier for child in _children(parent)]
        pids += frontier
    return pids


def cpu_seconds(pids: Iterable[int]) -> float:
    """User and system CPU seconds of `pids`, with their children that have been waited for
    (utime, stime, cutime, cstime from /proc); a process that has ended counts nothing.

    `cpu_seconds(process_tree(pid))` is a whole server's: its threads, its live children
    and those it has reaped (a PostgreSQL backend's CPU moves to the postmaster's cutime).
    """
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += sum(int(f) for f in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def _signal_group(popen: subprocess.Popen[bytes], signum: int) -> None:
    """Signal the server and every process under it: the server first when stopping it
    (no new children), its children first when resuming or killing."""
    pids = process_tree(popen.pid)
    ordered = pids if signum == signal.SIGSTOP else [*pids[1:], pids[0]]
    for pid in ordered:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def _end(state: _Process, remove: bool) -> None:
    """Kill what is left of the server (by its PID's group) and optionally remove its files."""
    popen, state.popen = state.popen, None
    if popen is not None and popen.poll() is None:
        _signal_group(popen, signal.SIGCONT)
        _signal_group(popen, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(timeout=STOP_TIMEOUT_S)
    if remove and state.owns_base:
        shutil.rmtree(state.base, ignore_errors=True)


_live: weakref.WeakSet[ThrowawayServer] = weakref.WeakSet()


@atexit.register
def _end_all() -> None:
    for server in list(_live):
        server.destroy()


class ThrowawayServer(ABC):
    """One server process over one data directory; see the module docstring for the API."""

    engine: ClassVar[str]
    system_user: ClassVar[str]
    default_driver: ClassVar[str]
    superuser: ClassVar[str]
    shutdown_signal: ClassVar[signal.Signals] = signal.SIGTERM

    def __init__(
        self,
        *,
        config: Sequence[str] = (),
        base: Path | None = None,
        port: int | None = None,
        wrap: Callable[[list[str]], list[str]] | None = None,
    ) -> None:
        """`config`: extra configuration lines; `base`: directory to use (default: a new
        temporary one, removed on destroy); `port`: default a free one; `wrap`: a function
        that wraps the server's argv (e.g. to start it in a memory cgroup)."""
        owns_base = base is None
        if base is None:
            base = Path(tempfile.mkdtemp(prefix=f"dbtier-{self.engine}-"))
        self.base = base
        self.config = list(config)
        self.port = port if port is not None else free_port()
        self._fixed_port = port is not None
        self._wrap = wrap or (lambda argv: argv)
        self.datadir = self.base / "data"
        # MariaDB deletes every `#sql*` file in its tmpdir when it starts: a shared /tmp
        # let one server's start remove another's temporary tables (a failed bootstrap).
        self.tmpdir = self.base / "tmp"
        self.log_path = self.base / "server.log"
        self.conf_path = self.base / "server.conf"
        self._state = _Process(self.base, owns_base)
        self._finalizer = weakref.finalize(self, _end, self._state, True)
        self._initialized = False
        _live.add(self)

    # engine facts ---------------------------------------------------------------
    @abstractmethod
    def _initialize_argv(self) -> list[str]:
        """The command that creates an empty data directory."""

    @abstractmethod
    def _server_argv(self) -> list[str]:
        """The command that runs the server in the foreground with `conf_path`."""

    @abstractmethod
    def _compose_conf(self, lines: Sequence[str]) -> str:
        """The whole configuration file: the extra `lines`, then paths and port (which win)."""

    @abstractmethod
    def connect(self, database: str | None = None) -> Any:
        """A DB-API connection as the superuser over the Unix socket (autocommit)."""

    @abstractmethod
    def _url_query(self) -> dict[str, str]:
        """Query parameters every TCP URL carries (none by default)."""

    def _before_start(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """Engine-specific preparation just before each start (none by default)."""

    # state ----------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        """The server's process id while it runs (it runs in a session of its own)."""
        popen = self._state.popen
        return popen.pid if popen is not None and popen.poll() is None else None

    @property
    def running(self) -> bool:
        """Whether the server process is alive (frozen counts as alive)."""
        return self.pid is not None

    # lifecycle ------------------------------------------------------------------
    def initialize(self) -> None:
        """Create the base and data directories, owned by the system user, and initialize."""
        if self._initialized:
            return
        self.base.mkdir(parents=True, exist_ok=True)
        self.base.chmod(0o755)
        self.datadir.mkdir(mode=0o700)
        self.tmpdir.mkdir(mode=0o700)
        shutil.chown(self.base, self.system_user, self.system_user)
        shutil.chown(self.datadir, self.system_user, self.system_user)
        shutil.chown(self.tmpdir, self.system_user, self.system_user)
        self._run_checked(self._initialize_argv(), "initialize the data directory")
        self._initialized = True

    def start(self, config: Sequence[str] | None = None) -> None:
        """Write the configuration (`config` replaces the extra lines when given), start,
        and wait until the superuser can connect. A no-op when it is already running."""
        if self.running:
            return
        self.initialize()
        if config is not None:
            self.config = list(config)
        for attempt in range(_START_ATTEMPTS):
            if self._start_once():
                return
            if self._fixed_port or attempt == _START_ATTEMPTS - 1:
                break
            self.port = free_port()  # lost the race for the port: pick another
        raise ServerError(
            f"{self.engine} exited while starting; see the end of {self.log_path}:\n"
            + self.log_tail()
        )

    def _start_once(self) -> bool:
        self.conf_path.write_text(self._compose_conf(self.config))
        shutil.chown(self.conf_path, self.system_user, self.system_user)
        self._before_start()
        with self.log_path.open("ab") as log:
            # Own session: a Ctrl-C to the tests does not reach the server.
            popen = subprocess.Popen(  # noqa: S603 - argv built here from fixed parts
                self._wrap(self._server_argv()),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._state.popen = popen
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if popen.poll() is not None:
                self._state.popen = None
                return False
            with contextlib.suppress(Exception):
                self.connect().close()
                return True
            time.sleep(0.2)
        _end(self._state, remove=False)
        raise ServerError(
            f"{self.engine} did not accept connections in {READY_TIMEOUT_S:.0f}s; "
            f"see {self.log_path}"
        )

    def stop(self) -> None:
        """Shut the server down cleanly (thawing it first; killed after a timeout)."""
        popen = self._state.popen
        if popen is None:
            return
        if popen.poll() is None:
            _signal_group(popen, signal.SIGCONT)
            popen.send_signal(self.shutdown_signal)
            try:
                popen.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                _end(self._state, remove=False)
        # Children (PostgreSQL backends) go with their postmaster; make sure of it.
        _signal_group(popen, signal.SIGKILL)
        self._state.popen = None

    def kill(self) -> None:
        """SIGKILL the server and its children, as a crash would; `start()` recovers."""
        _end(self._state, remove=False)

    def freeze(self) -> None:
        """SIGSTOP the server and its children: connections open, nothing answers."""
        popen = self._require_running("freeze")
        _signal_group(popen, signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT the server and its children after `freeze()`."""
        popen = self._require_running("thaw")
        _signal_group(popen, signal.SIGCONT)

    @contextlib.contextmanager
    def frozen(self) -> Any:
        """`with server.frozen(): ...` freezes for the block and always thaws."""
        self.freeze()
        try:
            yield self
        finally:
            self.thaw()

    def destroy(self) -> None:
        """End the server by its PID and remove its directory (when this object made it)."""
        self.stop()
        self._finalizer()
        _live.discard(self)

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.destroy()
            raise
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.destroy()

    # access ---------------------------------------------------------------------
    def url(
        self,
        driver: str | None = None,
        *,
        database: str | None = None,
        user: str | None = None,
        password: str | None = None,
    ) -> URL:
        """A SQLAlchemy URL over TCP to 127.0.0.1:`port` (the superuser by default)."""
        return URL.create(
            driver or self.default_driver,
            username=user or self.superuser,
            password=password,
            host="127.0.0.1",
            port=self.port,
            database=database,
            query=self._url_query(),
        )

    def execute(self, statement: str, database: str | None = None) -> list[tuple[Any, ...]]:
        """Run one statement as the superuser; its rows (empty when it returns none)."""
        connection = self.connect(database)
        try:
            cursor = connection.cursor()
            cursor.execute(statement)
            rows = cursor.fetchall() if cursor.description else []
            cursor.close()
            return [tuple(row) for row in rows]
        finally:
            connection.close()

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the server's log."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def as_user(self, argv: list[str], *, die_with_parent: bool = False) -> list[str]:
        """`argv` run as the engine's system user; `die_with_parent`: SIGKILLed by the
        kernel when the thread that started it exits (even on SIGKILL of this process).
        The second `setpriv` sets that after the user switch, which would clear it."""
        user = self.system_user
        switch = ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups"]
        death = ["setpriv", "--pdeathsig", "KILL"] if die_with_parent else []
        return [*switch, *death, *argv]

    def _require_running(self, what: str) -> subprocess.Popen[bytes]:
        popen = self._state.popen
        if popen is None or popen.poll() is not None:
            raise ServerError(f"cannot {what} {self.engine}: it is not running")
        return popen

    def _run_checked(self, argv: list[str], what: str) -> None:
        result = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise ServerError(
                f"could not {what} for {self.engine} ({' '.join(argv[:3])} ...):\n"
                + (result.stderr or result.stdout)[-2000:]
            )

    @classmethod
    @abstractmethod
    def binaries(cls) -> list[str]:
        """The executables this engine needs."""

    @classmethod
    def available(cls) -> str | None:
        """None when this machine can run the engine; otherwise why not (for a skip)."""
        if os.geteuid() != 0:
            return f"starting a throwaway {cls.engine} needs root (to run it as {cls.system_user})"
        missing = [b for b in ["setpriv", *cls.binaries()] if not shutil.which(b)]
        if missing:
            return f"throwaway {cls.engine} needs {', '.join(missing)}, not found"
        try:
            pwd.getpwnam(cls.system_user)
        except KeyError:
            return f"no system user {cls.system_user!r} for a throwaway {cls.engine}"
        return None


def require_available(server_class: type[ThrowawayServer]) -> None:
    """In a pytest test: skip when this machine cannot start that engine, with the reason;
    fail instead under DBTIER_REQUIRE_DB_SERVERS=1 (CI), as the shared-server fixtures do."""
    import pytest

    problem = server_class.available()
    if problem is None:
        return
    if os.environ.get("DBTIER_REQUIRE_DB_SERVERS") == "1":
        pytest.fail(f"{problem} (DBTIER_REQUIRE_DB_SERVERS=1)")
    pytest.skip(problem)


class ThrowawayMariaDB(ThrowawayServer):
    """MariaDB (mariadbd) configured by a my.cnf given with --defaults-file."""

    engine = "mariadb"
    system_user = "mysql"
    default_driver = "mariadb+pymysql"
    superuser = "root"

    @property
    def socket_path(self) -> Path:
        """The server's Unix socket."""
        return self.base / "mysqld.sock"

    @classmethod
    def binaries(cls) -> list[str]:
        return ["mariadbd", "mariadb-install-db"]

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
        return self.as_user(["mariadbd", f"--defaults-file={self.conf_path}"], die_with_parent=True)

    def _compose_conf(self, lines: Sequence[str]) -> str:
        harness = [
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
            "skip-name-resolve",
        ]
        return "\n".join(["[mariadbd]", *lines, "", "# harness: paths and port", *harness, ""])

    def _url_query(self) -> dict[str, str]:
        return {"charset": "utf8mb4"}

    def connect(self, database: str | None = None) -> Any:
        import pymysql

        return pymysql.connect(
            unix_socket=str(self.socket_path),
            user="root",
            database=database,
            autocommit=True,
            connect_timeout=_ADMIN_CONNECT_TIMEOUT_S,
            read_timeout=30,
        )


class ThrowawayPostgres(ThrowawayServer):
    """PostgreSQL (15 by default), with its whole postgresql.conf written here."""

    engine = "postgres"
    system_user = "postgres"
    default_driver = "postgresql+psycopg"
    superuser = "postgres"
    shutdown_signal = signal.SIGINT  # "fast" shutdown: roll back clients, checkpoint, exit
    bindir = Path(os.environ.get("DBTIER_PG_BINDIR", "/usr/lib/postgresql/15/bin"))

    @property
    def socket_dir(self) -> Path:
        """The directory holding the server's Unix socket."""
        return self.base

    @classmethod
    def binaries(cls) -> list[str]:
        return [str(cls.bindir / "initdb"), str(cls.bindir / "postgres")]

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
                "--no-sync",
            ]
        )

    def _server_argv(self) -> list[str]:
        server = [str(self.bindir / "postgres"), "-D", str(self.datadir)]
        return self.as_user([*server, "-c", f"config_file={self.conf_path}"], die_with_parent=True)

    def _compose_conf(self, lines: Sequence[str]) -> str:
        harness = [
            f"port = {self.port}",
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.socket_dir}'",
            f"hba_file = '{self.datadir / 'pg_hba.conf'}'",
            f"ident_file = '{self.datadir / 'pg_ident.conf'}'",
            "logging_collector = off",
            # Its small shared memory in normal pages: a test server never takes huge pages
            # that bench/params reserved for its own server (bench/params/huge_pages.py).
            "huge_pages = off",
        ]
        return "\n".join([*lines, "", "# harness: paths and port", *harness, ""])

    def _url_query(self) -> dict[str, str]:
        return {}

    def connect(self, database: str | None = None) -> Any:
        import psycopg

        return psycopg.connect(
            host=str(self.socket_dir),
            port=self.port,
            user="postgres",
            dbname=database or "postgres",
            autocommit=True,
            connect_timeout=_ADMIN_CONNECT_TIMEOUT_S,
        )


__all__ = [
    "READY_TIMEOUT_S",
    "ServerError",
    "ThrowawayMariaDB",
    "ThrowawayPostgres",
    "ThrowawayServer",
    "cpu_seconds",
    "free_port",
    "process_tree",
    "require_available",
]
