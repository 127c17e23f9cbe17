"""`uv run python -m bench.service`: nippo's routes against the same stack's ceiling.

For each engine (SQLite; MariaDB and PostgreSQL on throwaway servers from
`dbtier.testing.servers`, never the shared 3306/5432) and each stack (MySQL
driver, uvicorn workers): a learner with `--years` of reports (365 reports,
730 tasks a year), served as `dbtier up` serves nippo (`bench.service.serve`),
beside the ceiling app on the same engine settings (`bench.service.ceiling`:
constant JSON, and `SELECT 1` on the same pool and driver). wrk sends
`--connections` connections for `--duration` seconds to each route in turn
(after a short warm-up); the table gives req/s, each nippo route's ratio to
the same stack's `SELECT 1` ceiling, non-2xx answers and the load average.
`--scaling` adds the study-time statement's cost at 1, 5 and 10 years of
history (client-timed median of repeated executions, and the route's req/s).
Results go to bench/service/results/<time>.{json,txt}. It prints; it asserts
nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

from bench.service.ceiling import ASYNC_URL_VARIABLE
from bench.service.data import Seeded, seed
from dbtier.config import Settings
from dbtier.db import make_engine, timeouts_from
from dbtier.testing.servers import (
    ThrowawayMariaDB,
    ThrowawayPostgres,
    ThrowawayServer,
    cpu_seconds,
    process_tree,
)
from nippo.auth import Caller
from nippo.study_time import study_time_statement

RESULTS = Path(__file__).resolve().parent / "results"
NIPPO_APP = "nippo.app:create_app"
CEILING_APP = "bench.service.ceiling:create_app"
ENGINES = ("sqlite", "mariadb", "postgres")
MYSQL_DRIVERS = {
    "pymysql": "mariadb+pymysql",
    "mysqlclient": "mariadb+mysqldb",
    "asyncmy": "mariadb+asyncmy",
    "aiomysql": "mariadb+aiomysql",
}
# Async drivers: the ceiling's SELECT 1 runs on them (an async route, no worker thread);
# nippo itself is sync, so its routes run on mysqlclient in the same stack's run.
ASYNC_DRIVERS = frozenset({"asyncmy", "aiomysql"})
STATEMENT_REPEATS = 300
# After wrk stops, the server still answers the requests it had queued; the next run waits.
SETTLE_S = 1.0


@dataclass(frozen=True)
class Route:
    """A nippo route measured: its name, the statements it runs, its path template."""

    name: str
    statements: int
    path: str


# Formatted with the seeded learner (`Seeded`): lid, rid, last, first_of_year.
ROUTES = (
    Route("study-time", 1, "/api/v1/learners/{lid}/study-time?date={last}"),
    Route("feedback list", 1, "/api/v1/reports/{rid}/feedback"),
    Route("me", 2, "/api/v1/me"),
    Route("report", 2, "/api/v1/reports/{rid}"),
    Route("report markdown", 3, "/api/v1/reports/{rid}/markdown"),
    Route("365 reports", 2, "/api/v1/learners/{lid}/reports?from={year_ago}&to={last}"),
)


def route_values(seeded: Seeded) -> dict[str, object]:
    """What a route's path template is formatted with (`Route.path`)."""
    return {
        "lid": seeded.learner_id,
        "rid": seeded.report_id,
        "last": seeded.last_day.isoformat(),
        "year_ago": (seeded.last_day - dt.timedelta(days=364)).isoformat(),
    }


@dataclass
class Measured:
    """One wrk run."""

    stack: str
    route: str
    statements: int | None
    rps: float
    non_2xx: int
    errors: int
    p50_ms: float
    p99_ms: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    round: int = 1
    app_cpu_ms: float | None = None  # CPU (user + system) per 2xx answer: the service's processes
    db_cpu_ms: float | None = None  # ... and the database server's (None: SQLite, in-process)


@dataclass
class Scaling:
    """The study-time statement at one history length."""

    stack: str
    years: int
    reports: int
    statement_ms: float
    rps: float | None
    load_after: tuple[float, float, float]


@dataclass
class Results:
    started: str
    command: str
    machine: str
    load_start: tuple[float, float, float]
    load_end: tuple[float, float, float] = (0.0, 0.0, 0.0)
    runs: list[Measured] = field(default_factory=list)
    scaling: list[Scaling] = field(default_factory=list)


@dataclass(frozen=True)
class Stack:
    """What one row group measures: an engine, its driver, uvicorn workers."""

    engine: str
    driver: str
    workers: int

    @property
    def name(self) -> str:
        return f"{self.engine}/{self.driver}/w{self.workers}"


def load() -> tuple[float, float, float]:
    one, five, fifteen = os.getloadavg()
    return (round(one, 2), round(five, 2), round(fifteen, 2))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# wrk ----------------------------------------------------------------------------
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


# --pin: the service on a core of its own, the database and wrk on the others, as ECS and
# RDS are separate machines; each process's CPUs as a taskset list (empty: not pinned).
@dataclass(frozen=True)
class Pinning:
    app: str = ""
    rest: str = ""

    @classmethod
    def of(cls, pin: bool) -> Pinning:
        count = os.cpu_count() or 1
        if not pin or count < 2:
            return cls()
        return cls("0", f"1-{count - 1}" if count > 2 else "1")

    def argv(self, cpus: str) -> list[str]:
        return ["taskset", "-c", cpus] if cpus else []

    def pin_tree(self, pid: int | None) -> None:
        """Every thread of `pid` and its children on the database's CPUs (new backends and
        connection threads inherit it)."""
        if not self.rest or pid is None:
            return
        first, _, last = self.rest.partition("-")
        cpus = set(range(int(first), int(last or first) + 1))
        for process in process_tree(pid):
            with contextlib.suppress(FileNotFoundError):
                for task in Path(f"/proc/{process}/task").iterdir():
                    with contextlib.suppress(ProcessLookupError):
                        os.sched_setaffinity(int(task.name), cpus)


def tree_cpu_seconds(pid: int | None) -> float:
    """User and system CPU seconds of `pid` and every process under it (0 without one)."""
    return 0.0 if pid is None else cpu_seconds(process_tree(pid))


def wrk(
    url: str, token: str | None, *, connections: int, seconds: float, pinning: Pinning = Pinning()
) -> tuple[float, int, int, float, float]:
    """2xx req/s, non-2xx answers, socket errors, p50 and p99 latency (ms).

    wrk's own req/s counts every answer; a 503 is cheap, so only 2xx answers count here.
    """
    argv = [*pinning.argv(pinning.rest), "wrk", "-t", "2", "-c", str(connections)]
    argv += ["-d", f"{seconds:g}s", "--latency"]
    if token:
        argv += ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    done = re.search(r"(\d+) requests in ([\d.]+)(m|s)", out)
    assert done is not None, out
    seconds_taken = float(done.group(2)) * (60 if done.group(3) == "m" else 1)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    refused = int(non_2xx.group(1)) if non_2xx else 0
    rps = (int(done.group(1)) - refused) / seconds_taken
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)  # type: ignore[union-attr]
    return (
        rps,
        refused,
        sum(int(g) for g in errors.groups()) if errors else 0,
        _ms(p50),
        _ms(p99),
    )


# serving ------------------------------------------------------------------------
@dataclass(frozen=True)
class Served:
    """An app being served: its base URL and the process id of its server."""

    base: str
    pid: int


@contextlib.contextmanager
def served(
    app: str,
    url: URL,
    workers: int,
    log: Path,
    async_url: URL | None = None,
    pinning: Pinning = Pinning(),
) -> Iterator[Served]:
    """`app` served by `bench.service.serve` on a free port; yields its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBTIER_")}
    env["DBTIER_DATABASE_URL"] = url.render_as_string(hide_password=False)
    env.pop(ASYNC_URL_VARIABLE, None)
    if async_url is not None:
        env[ASYNC_URL_VARIABLE] = async_url.render_as_string(hide_password=False)
    env["DBTIER_DATA_DIR"] = str(log.parent)
    argv = [*pinning.argv(pinning.app), sys.executable, "-m", "bench.service.serve", app]
    argv += ["127.0.0.1", str(port), str(workers)]
    with log.open("ab") as out:
        process = subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        with httpx.Client(base_url=base, timeout=2) as client:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if client.get("/healthz").status_code == 200:
                        break
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{app} did not start; see {log}")
                time.sleep(0.2)
        yield Served(base, process.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, 9)
            process.wait()


def _check(base: str, path: str, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = httpx.get(base + path, headers=headers, timeout=10)
    if answer.status_code != 200:
        raise RuntimeError(f"GET {path}: {answer.status_code} {answer.text[:300]}")


class Bench:
    """Runs the measurements and keeps the results."""

    def __init__(self, options: argparse.Namespace, console: Console, tmp: Path) -> None:
        self.options = options
        self.pinning = Pinning.of(options.pin)
        self.db_pid: int | None = None  # the database server's, while one is up
        self.console = console
        self.tmp = tmp
        self.results = Results(
            started=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            command=" ".join(["python -m bench.service", *sys.argv[1:]]),
            machine=f"{os.cpu_count()} CPUs",
            load_start=load(),
        )

    def measure(
        self,
        stack: Stack,
        app: Served,
        path: str,
        route: str,
        token: str | None,
        statements: int | None,
        round_number: int = 1,
    ) -> Measured:
        base = app.base
        _check(base, path, token)
        o = self.options
        wrk(base + path, token, connections=o.connections, seconds=o.warmup, pinning=self.pinning)
        time.sleep(SETTLE_S)
        before = load()
        app_cpu, db_cpu = tree_cpu_seconds(app.pid), tree_cpu_seconds(self.db_pid)
        rps, non_2xx, errors, p50, p99 = wrk(
            base + path, token, connections=o.connections, seconds=o.duration, pinning=self.pinning
        )
        answers = max(rps * o.duration, 1.0)
        app_ms = (tree_cpu_seconds(app.pid) - app_cpu) * 1000 / answers
        db_ms = (tree_cpu_seconds(self.db_pid) - db_cpu) * 1000 / answers if self.db_pid else None
        run = Measured(
            stack.name,
            route,
            statements,
            rps,
            non_2xx,
            errors,
            p50,
            p99,
            before,
            load(),
            round_number,
            app_ms,
            db_ms,
        )
        time.sleep(SETTLE_S)
        self.results.runs.append(run)
        self.console.print(
            f"  {stack.name:28} r{round_number} {route:16} {rps:8.0f} req/s  non-2xx {non_2xx}  "
            f"p50 {p50:.1f} ms  CPU ms/answer app {app_ms:.2f}"
            + (f" db {db_ms:.2f}" if db_ms is not None else "")
            + f"  load {run.load_after[0]:.2f}"
        )
        return run

    def stack(self, stack: Stack, url: URL, seeded: Seeded) -> None:
        """Both apps served at once; each round measures the ceiling, then nippo's routes, so
        that every route's ratio is taken against a ceiling of its own round."""
        log = self.tmp / f"{stack.name.replace('/', '-')}.log"
        async_url = None
        if stack.driver in ASYNC_DRIVERS:  # the ceiling on the async driver; nippo is sync
            async_url, url = url, url.set(drivername=MYSQL_DRIVERS["mysqlclient"])
        values = route_values(seeded)
        wanted = self.options.routes
        routes = [r for r in ROUTES if not wanted or r.name in wanted]
        nippo_log = log.with_name(log.stem + "-nippo.log")
        with contextlib.ExitStack() as serving:
            ceiling = serving.enter_context(
                served(CEILING_APP, url, stack.workers, log, async_url, self.pinning)
            )
            nippo = (
                None
                if async_url
                else serving.enter_context(
                    served(NIPPO_APP, url, stack.workers, nippo_log, pinning=self.pinning)
                )
            )
            for number in range(1, self.options.rounds + 1):
                self.measure(stack, ceiling, "/const", "ceiling: constant JSON", None, None, number)
                self.measure(stack, ceiling, "/select1", "ceiling: SELECT 1", None, 1, number)
                for route in routes if nippo is not None else []:
                    assert nippo is not None
                    path = route.path.format(**values)
                    self.measure(
                        stack, nippo, path, route.name, seeded.token, route.statements, number
                    )
        if async_url is not None:
            self.console.print(f"  {stack.name:28} nippo is sync: only the ceiling is measured")

    def scaling(self, stack: Stack, url: URL, seeded: Seeded) -> None:
        """The study-time statement's cost on this history, client-timed, and the route's req/s."""
        engine = make_engine(
            Settings(database_url=url.render_as_string(hide_password=False)),
            timeouts=timeouts_from(Settings(), statement=Settings().query_timeout),
        )
        caller = Caller.from_token(seeded.token)
        statement = study_time_statement(seeded.learner_id, seeded.last_day, caller)
        try:
            with Session(engine) as session:
                for _ in range(20):
                    session.execute(statement).one()
                times = []
                for _ in range(STATEMENT_REPEATS):
                    started = time.perf_counter()
                    session.execute(statement).one()
                    times.append((time.perf_counter() - started) * 1000)
        finally:
            engine.dispose()
        years = seeded.reports // 365
        rps = None
        if self.options.scaling_wrk:
            day = seeded.last_day.isoformat()
            path = f"/api/v1/learners/{seeded.learner_id}/study-time?date={day}"
            log = self.tmp / f"{stack.name.replace('/', '-')}-scaling.log"
            with served(NIPPO_APP, url, stack.workers, log, pinning=self.pinning) as app:
                rps = self.measure(stack, app, path, f"study-time {years}y", seeded.token, 1).rps
        scaling = Scaling(stack.name, years, seeded.reports, statistics.median(times), rps, load())
        self.results.scaling.append(scaling)
        self.console.print(
            f"  {stack.name:28} study-time statement, {years} y: "
            f"{scaling.statement_ms:.2f} ms (median of {STATEMENT_REPEATS})"
        )


# databases ----------------------------------------------------------------------
SERVERS: dict[str, type[ThrowawayServer]] = {
    "mariadb": ThrowawayMariaDB,
    "postgres": ThrowawayPostgres,
}


def new_database(server: ThrowawayServer | None, tmp: Path, driver: str | None) -> URL:
    """A fresh, empty database: a file for SQLite, else one on the throwaway server."""
    name = f"nippo_{uuid.uuid4().hex[:8]}"
    if server is None:
        return make_url(f"sqlite:///{tmp / (name + '.sqlite3')}")
    if server.engine == "mariadb":
        server.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    else:
        server.execute(f'CREATE DATABASE "{name}"')
    return server.url(driver, database=name)


def stacks_of(engine: str, options: argparse.Namespace) -> list[Stack]:
    drivers = {"sqlite": ["pysqlite"], "postgres": ["psycopg"]}.get(engine, options.mysql_drivers)
    return [Stack(engine, d, w) for d in drivers for w in options.workers]


def driver_url(engine: str, driver: str) -> str | None:
    """The SQLAlchemy driver name that loads and migrates a stack's data (None: the server's
    default); an async driver's data is loaded with mysqlclient."""
    if engine != "mariadb":
        return None
    return MYSQL_DRIVERS["mysqlclient" if driver in ASYNC_DRIVERS else driver]


def run_engine(bench: Bench, engine: str, tmp: Path) -> None:
    options = bench.options
    server_class = SERVERS.get(engine)
    with contextlib.ExitStack() as stack:
        server: ThrowawayServer | None = None
        if server_class is not None:
            problem = server_class.available()
            if problem:
                bench.console.print(f"[yellow]skipping {engine}: {problem}")
                return
            server = stack.enter_context(server_class())
            bench.pinning.pin_tree(server.pid)
        bench.db_pid = server.pid if server is not None else None
        stacks = stacks_of(engine, options)
        urls: dict[int, tuple[URL, Seeded]] = {}
        for years in sorted({options.years, *(options.scaling or [])}):
            url = new_database(server, tmp, driver_url(engine, stacks[0].driver))
            seeded = seed(url, years)
            urls[years] = (url, seeded)
            bench.console.print(f"{engine}: seeded {seeded.reports} reports ({years} y)")
        base_url, seeded = urls[options.years]
        for s in stacks if not options.scaling_only else []:
            url = base_url
            if engine == "mariadb":
                url = base_url.set(drivername=MYSQL_DRIVERS[s.driver])
            bench.stack(s, url, seeded)
        sync_stacks = [s for s in stacks if s.driver not in ASYNC_DRIVERS]
        for years in options.scaling or [] if sync_stacks else []:
            s = sync_stacks[0]
            url, seeded_y = urls[years]
            if engine == "mariadb":
                url = url.set(drivername=MYSQL_DRIVERS[s.driver])
            bench.scaling(s, url, seeded_y)


# report -------------------------------------------------------------------------
def _load_text(value: tuple[float, float, float]) -> str:
    return " ".join(f"{v:.2f}" for v in value)


def _spread(values: list[float], digits: str = ",.0f") -> str:
    return "" if len(values) < 2 else f"{min(values):{digits}}–{max(values):{digits}}"


def _median_ms(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    return f"{statistics.median(known):.2f}" if known else ""


def tables(results: Results) -> list[Table]:
    """Per stack and route: the median of the rounds, the spread, and the median of each
    round's ratio to that round's `SELECT 1` ceiling."""
    out = []
    stacks = list(dict.fromkeys(r.stack for r in results.runs))
    for stack in stacks:
        runs = [r for r in results.runs if r.stack == stack]
        ceilings = {r.round: r.rps for r in runs if r.route == "ceiling: SELECT 1"}
        rounds = len({r.round for r in runs})
        table = Table(title=f"{stack}: req/s, median of {rounds} round(s), {results.command}")
        for column in (
            "route",
            "statements",
            "req/s",
            "spread",
            "÷ SELECT 1",
            "ratio spread",
            "non-2xx",
            "p50 ms",
            "app CPU ms",
            "db CPU ms",
            "load",
        ):
            table.add_column(column)
        for route in dict.fromkeys(r.route for r in runs):
            of_route = [r for r in runs if r.route == route]
            rps = [r.rps for r in of_route]
            ratios = [r.rps / ceilings[r.round] for r in of_route if ceilings.get(r.round)]
            shown = ratios if of_route[0].statements is not None else []
            table.add_row(
                route,
                "" if of_route[0].statements is None else str(of_route[0].statements),
                f"{statistics.median(rps):,.0f}",
                _spread(rps),
                f"{statistics.median(shown):.2f}×" if shown else "",
                _spread(shown, ".2f") if route != "ceiling: SELECT 1" else "",
                str(sum(r.non_2xx + r.errors for r in of_route)),
                f"{statistics.median(r.p50_ms for r in of_route):.1f}",
                _median_ms([r.app_cpu_ms for r in of_route]),
                _median_ms([r.db_cpu_ms for r in of_route]),
                f"{of_route[0].load_before[0]:.2f}→{of_route[-1].load_after[0]:.2f}",
            )
        out.append(table)
    if results.scaling:
        table = Table(title="study-time statement as the history grows")
        for column in ("stack", "years", "reports", "statement ms (median)", "route req/s", "load"):
            table.add_column(column)
        for s in results.scaling:
            table.add_row(
                s.stack,
                str(s.years),
                str(s.reports),
                f"{s.statement_ms:.2f}",
                "—" if s.rps is None else f"{s.rps:,.0f}",
                f"{s.load_after[0]:.2f}",
            )
        out.append(table)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.service", description=__doc__)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--mysql-drivers", default="pymysql,mysqlclient")
    parser.add_argument("--workers", default="1", help="uvicorn workers, comma-separated [1]")
    parser.add_argument("--years", type=int, default=1, help="history of the learner [1]")
    parser.add_argument(
        "--scaling", default="", help="years for the study-time scaling, e.g. 1,5,10"
    )
    parser.add_argument(
        "--scaling-only", action="store_true", help="only the study-time scaling (with --scaling)"
    )
    parser.add_argument(
        "--scaling-wrk", action="store_true", help="also the study-time route's req/s per history"
    )
    parser.add_argument("--routes", default="", help="only these nippo routes (comma-separated)")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per route [15]")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per route [2]")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--pin",
        action="store_true",
        help="the service on CPU 0, the database server and wrk on the others (as ECS and "
        "RDS are separate machines)",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="rounds of every route, the ceiling in each [1]"
    )
    parser.add_argument("--tag", default="", help="a word for the results file name")
    options = parser.parse_args(argv)
    try:
        options.engines = [e for e in options.engines.split(",") if e]
        options.mysql_drivers = [d for d in options.mysql_drivers.split(",") if d]
        options.workers = [int(w) for w in options.workers.split(",") if w]
        options.scaling = [int(y) for y in options.scaling.split(",") if y]
        options.routes = [r for r in options.routes.split(",") if r]
    except ValueError as exc:
        parser.error(str(exc))
    bad = [e for e in options.engines if e not in ENGINES]
    bad += [d for d in options.mysql_drivers if d not in MYSQL_DRIVERS]
    bad += [r for r in options.routes if r not in {route.name for route in ROUTES}]
    if (
        bad
        or not options.workers
        or min(options.workers) < 1
        or min(options.years, options.rounds) < 1
    ):
        parser.error(f"unknown or bad value(s): {', '.join(bad) or 'workers/years'}")
    if shutil.which("wrk") is None:
        parser.error("wrk is not on PATH (apt-get install wrk)")
    console = Console() if sys.stdout.isatty() else Console(width=160)
    tmp = Path(tempfile.mkdtemp(prefix="bench-service-"))
    bench = Bench(options, console, tmp)
    console.print(f"load average at start: {_load_text(bench.results.load_start)}")
    try:
        for engine in options.engines:
            run_engine(bench, engine, tmp)
    finally:
        bench.results.load_end = load()
        console.print(f"load average at end: {_load_text(bench.results.load_end)}")
        for table in tables(bench.results):
            console.print(table)
        RESULTS.mkdir(exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M%S")
        name = f"{stamp}{'-' + options.tag if options.tag else ''}"
        (RESULTS / f"{name}.json").write_text(json.dumps(asdict(bench.results), indent=1) + "\n")
        with (RESULTS / f"{name}.txt").open("w") as out:
            file_console = Console(file=out, width=160)
            file_console.print(f"{bench.results.command}  (started {bench.results.started})")
            file_console.print(f"load average at start: {_load_text(bench.results.load_start)}")
            file_console.print(f"load average at end: {_load_text(bench.results.load_end)}")
            for table in tables(bench.results):
                file_console.print(table)
        console.print(f"results: {RESULTS / name}.{{json,txt}}; service logs: {tmp}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
