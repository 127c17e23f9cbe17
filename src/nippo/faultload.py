"""Drive nippo under steady load against a throwaway server and inject database faults.

Used by the fault-injection tests (`tests/faults`) and by `bench/faults`. The
service runs as it does in production: `create_app(settings)` served by a real
uvicorn (in a thread, on a socket bound to port 0), so timeouts, pools and
connection resets behave as they would. Worker threads send a steady stream
of authenticated GETs with httpx and record each answer (status or "no
answer", start and end); a watcher polls `/readyz`. A fault (`FAULTS`) runs
between a warm-up and a recovery window, and `Run` summarizes what the
clients saw: statuses counted, slowest answer, whether `/readyz` said 503
during the fault, and how long after the fault ended `/readyz` and the first
request answered 200.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from pydantic import SecretStr
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from dbtier.config import Settings
from dbtier.db import make_engine
from dbtier.logs import configure_logging
from dbtier.testing.servers import ThrowawayServer
from nippo.app import create_app
from nippo.migrations import upgrade_to_head
from nippo.service.users import create_user

NO_ANSWER = 0  # the status recorded when the client got no HTTP answer at all


@dataclass(frozen=True)
class Sample:
    """One request as the client saw it (monotonic seconds)."""

    path: str
    started: float
    ended: float
    status: int

    @property
    def latency(self) -> float:
        return self.ended - self.started


@dataclass
class Run:
    """What the clients saw around one fault; times relative to the fault's end."""

    fault: str
    engine: str
    fault_started: float
    fault_ended: float
    samples: list[Sample] = field(default_factory=list)
    readiness: list[Sample] = field(default_factory=list)
    # When the database was certainly down (frozen or stopped): inside the fault.
    down: float = 0.0
    up: float = 0.0

    @property
    def statuses(self) -> Counter[int]:
        return Counter(s.status for s in self.samples)

    @property
    def max_latency(self) -> float:
        return max((s.latency for s in self.samples), default=0.0)

    def _first_200_after(self, samples: list[Sample]) -> float | None:
        ends = [s.ended for s in samples if s.status == 200 and s.started >= self.fault_ended]
        return min(ends) - self.fault_ended if ends else None

    @property
    def first_200_after(self) -> float | None:
        """Seconds from the fault's end to the first 200 of a request sent after it."""
        return self._first_200_after(self.samples)

    @property
    def ready_after(self) -> float | None:
        """Seconds from the fault's end to the first /readyz 200 (probe sent after it)."""
        return self._first_200_after(self.readiness)

    @property
    def readyz_during(self) -> Counter[int]:
        """/readyz statuses of probes sent and answered while the database was down."""
        return Counter(
            s.status for s in self.readiness if s.started >= self.down and s.ended <= self.up
        )

    @property
    def answered_after_fault(self) -> int:
        """Requests sent after the fault ended (the recovery window's traffic)."""
        return sum(1 for s in self.samples if s.started >= self.fault_ended)


@dataclass
class Target:
    """A migrated database on a throwaway server, with a user's token."""

    server: ThrowawayServer
    url: URL
    token: str
    learner_id: int


def prepare(server: ThrowawayServer, driver: str | None = None) -> Target:
    """Create a database on `server`, migrate it to head, create a learner; the URL names
    `driver` (SQLAlchemy's `backend+driver`; None: the server's default)."""
    name = f"nippo_{uuid.uuid4().hex[:8]}"
    if server.engine == "mariadb":
        server.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    else:
        server.execute(f'CREATE DATABASE "{name}"')
    url = server.url(driver, database=name)
    upgrade_to_head(url)
    engine = make_engine(Settings(database_url=url.render_as_string(hide_password=False)))
    try:
        with Session(engine) as session:
            user = create_user(session, "learner", "learner")
    finally:
        engine.dispose()
    return Target(server, url, user.token, user.id)


def serve(fd: int) -> None:
    """The served process: JSON logs, `create_app()` from DBTIER_* settings, uvicorn on `fd`."""
    configure_logging(json=True)
    uvicorn.run(create_app(), fd=fd, log_level="warning", access_log=False)


class Served:
    """nippo on a real uvicorn in its own process (its own GIL, its own log), listening on
    a socket this process bound to port 0 and handed over by file descriptor."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        self.settings = settings
        self.log_path = log_path
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.base_url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.process: subprocess.Popen[bytes] | None = None

    def _env(self) -> dict[str, str]:
        values = self.settings.model_dump(exclude_none=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("DBTIER_")}
        env |= {
            f"DBTIER_{k.upper()}": v.get_secret_value() if isinstance(v, SecretStr) else str(v)
            for k, v in values.items()
        }
        env["DBTIER_DATABASE_URL"] = str(self.settings.database_url)
        return env

    def __enter__(self) -> Served:
        fd = self.sock.fileno()
        code = f"from nippo.faultload import serve; serve({fd})"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-c", code],
                env=self._env(),
                pass_fds=(fd,),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 180  # a loaded CI machine starts Python slowly
        with httpx.Client(base_url=self.base_url, timeout=2) as client:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if client.get("/healthz").status_code == 200:
                        return self
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.__exit__()
                    raise RuntimeError(f"the service did not start; see {self.log_path}")
                time.sleep(0.1)

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        self.sock.close()


class Load:
    """`workers` threads sending GETs in a loop (pausing `pause` s between requests)."""

    def __init__(
        self,
        base_url: str,
        paths: list[str],
        token: str,
        *,
        workers: int,
        pause: float,
        client_timeout: float,
    ) -> None:
        self.base_url = base_url
        self.paths = paths
        self.headers = {"Authorization": f"Bearer {token}"}
        self.workers = workers
        self.pause = pause
        self.client_timeout = client_timeout
        self.samples: list[Sample] = []
        self.readiness: list[Sample] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def _send(self, client: httpx.Client, path: str, into: list[Sample]) -> None:
        started = time.monotonic()
        try:
            status = client.get(path).status_code
        except httpx.HTTPError:
            status = NO_ANSWER
        sample = Sample(path, started, time.monotonic(), status)
        with self._lock:
            into.append(sample)

    def _worker(self, index: int) -> None:
        with httpx.Client(
            base_url=self.base_url, headers=self.headers, timeout=self.client_timeout
        ) as client:
            n = index
            while not self._stop.is_set():
                self._send(client, self.paths[n % len(self.paths)], self.samples)
                n += 1
                self._stop.wait(self.pause)

    def _watch_readiness(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=self.client_timeout) as client:
            while not self._stop.is_set():
                self._send(client, "/readyz", self.readiness)
                self._stop.wait(0.2)

    def __enter__(self) -> Load:
        targets: list[Callable[[], None]] = [self._watch_readiness]
        targets += [lambda i=i: self._worker(i) for i in range(self.workers)]  # type: ignore[misc]
        for target in targets:
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.client_timeout + 5)


# -- the faults ---------------------------------------------------------------------------


Window = tuple[float, float]  # when the database was down for sure: (from, until), monotonic


def freeze(target: Target, seconds: float) -> Window:
    """SIGSTOP the server for `seconds`, then SIGCONT."""
    with target.server.frozen():
        down = time.monotonic()
        time.sleep(seconds)
        up = time.monotonic()
    return down, up


def stop_start(target: Target, seconds: float) -> Window:
    """Shut the server down, wait `seconds`, start it again (same port, same data)."""
    target.server.stop()
    down = time.monotonic()
    time.sleep(seconds)
    up = time.monotonic()
    target.server.start()
    return down, up


_KILL_SQL = {
    "mariadb": (
        "SELECT id FROM information_schema.processlist WHERE db = '{db}' AND id <> CONNECTION_ID()"
    ),
    "postgres": (
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = '{db}' AND pid <> pg_backend_pid()"
    ),
}


def kill_connections(target: Target, seconds: float) -> Window:
    """Kill every connection to the app's database, again and again for `seconds`."""
    server, db = target.server, target.url.database
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        rows = server.execute(_KILL_SQL[server.engine].format(db=db))
        if server.engine == "mariadb":
            for (thread_id,) in rows:
                with contextlib.suppress(Exception):
                    server.execute(f"KILL {int(thread_id)}")
        time.sleep(0.5)
    now = time.monotonic()
    return now, now  # the server never stops answering: nothing to be 503 about


def no_fault(_target: Target, seconds: float) -> Window:
    """Nothing but the load (pool exhaustion comes from the settings and the workers)."""
    time.sleep(seconds)
    now = time.monotonic()
    return now, now


FAULTS: dict[str, Callable[[Target, float], Window]] = {
    "baseline": no_fault,
    "freeze": freeze,
    "stop_start": stop_start,
    "kill_connections": kill_connections,
    "pool_exhaustion": no_fault,
}


@dataclass(frozen=True)
class Scenario:
    """One fault under load: how long, how many clients, which settings."""

    fault: str
    seconds: float
    workers: int = 8
    pause: float = 0.05
    warmup: float = 2.0
    recovery: float = 5.0
    settings: dict[str, object] = field(default_factory=dict)


# The service's settings under test: short, so the whole suite stays quick.
TEST_SETTINGS: dict[str, object] = {
    "pool_size": 4,
    "max_overflow": 4,
    "pool_timeout": 1.0,
    "connect_timeout": 1.0,
    "read_timeout": 2.0,
    "query_timeout": 2.0,
    "request_timeout": 3.0,
    "readiness_timeout": 1.0,
}


def service_settings(target: Target, scenario: Scenario) -> Settings:
    """Settings for the service in one scenario (the scenario's overrides win)."""
    values = {**TEST_SETTINGS, **scenario.settings}
    return Settings(database_url=target.url.render_as_string(hide_password=False), **values)  # type: ignore[arg-type]


def run(target: Target, scenario: Scenario, log_path: Path) -> Run:
    """Serve nippo on `target` (its log to `log_path`), load it, inject the fault, and
    return what the clients saw."""
    settings = service_settings(target, scenario)
    learner = f"/api/v1/learners/{target.learner_id}"
    paths = ["/api/v1/me", f"{learner}/study-time?date=2026-11-30"]
    with (
        Served(settings, log_path) as served,
        Load(
            served.base_url,
            paths,
            target.token,
            workers=scenario.workers,
            pause=scenario.pause,
            client_timeout=settings.request_timeout + 30,
        ) as load,
    ):
        time.sleep(scenario.warmup)
        began = time.monotonic()
        down, up = FAULTS[scenario.fault](target, scenario.seconds)
        ended = time.monotonic()
        time.sleep(scenario.recovery)
    return Run(
        scenario.fault,
        target.server.engine,
        began,
        ended,
        load.samples,
        load.readiness,
        down=down,
        up=up,
    )


@contextlib.contextmanager
def throwaway(server: ThrowawayServer) -> Iterator[Target]:
    """A started server with a migrated database; destroyed afterwards."""
    with server:
        yield prepare(server)


__all__ = [
    "FAULTS",
    "NO_ANSWER",
    "TEST_SETTINGS",
    "Load",
    "Run",
    "Sample",
    "Scenario",
    "Served",
    "Target",
    "prepare",
    "run",
    "service_settings",
    "throwaway",
]
