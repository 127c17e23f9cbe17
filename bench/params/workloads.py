"""The workloads: sysbench OLTP and pgbench, plus nippo's own query mix, and their measurements.

A workload loads its data once per engine (`prepare`), then is run for a fixed
time against each configuration (`run`), giving transactions per second and
the 95th-percentile latency of a transaction. sysbench reports p95 itself;
pgbench's p95 is computed from its per-transaction log.
"""

from __future__ import annotations

import math
import re
import subprocess
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from bench.params import nippo_data
from bench.params.servers import MariaDB, Postgres, ThrowawayServer

_NIPPO_LUA = Path(__file__).with_name("nippo_mix.lua")


class WorkloadError(RuntimeError):
    """A benchmark client failed; the message carries the end of its output."""


@dataclass(frozen=True)
class Measurement:
    """One timed run: throughput, p95 latency and how many errors the client skipped."""

    tps: float
    p95_ms: float
    transactions: int
    errors: int


@dataclass(frozen=True)
class Sizes:
    """Data sizes and client settings of one benchmark run (the same for every configuration)."""

    sysbench_tables: int
    sysbench_table_size: int
    pgbench_scale: int
    nippo: nippo_data.NippoSize
    threads: int


def _run(argv: list[str], what: str, timeout: float | None = None) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=timeout)
    if result.returncode != 0:
        raise WorkloadError(
            f"{what} failed (exit {result.returncode}): {' '.join(argv[:2])} ...\n"
            + (result.stdout[-1500:] + result.stderr[-1500:])
        )
    return result.stdout


class Workload(ABC):
    """A named workload for one engine."""

    name: str
    database: str

    def __init__(self, sizes: Sizes) -> None:
        self.sizes = sizes

    def create_database(self, server: ThrowawayServer) -> None:
        connection = server.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE {self.database}")
        finally:
            connection.close()

    @abstractmethod
    def prepare(self, server: ThrowawayServer) -> None:
        """Create the database and load the data (once per engine, before any configuration)."""

    @abstractmethod
    def run(self, server: ThrowawayServer, seconds: int) -> Measurement:
        """Run for `seconds` and measure."""


# sysbench ---------------------------------------------------------------------

_SB_TPS = re.compile(r"transactions:\s+(\d+)\s+\(([\d.]+) per sec\.\)")
_SB_ERRORS = re.compile(r"ignored errors:\s+(\d+)")
_SB_P95 = re.compile(r"95th percentile:\s+([\d.]+)")


def parse_sysbench(output: str) -> Measurement:
    """TPS, p95 (ms) and ignored errors from sysbench 1.0's report."""
    tps, p95, errors = _SB_TPS.search(output), _SB_P95.search(output), _SB_ERRORS.search(output)
    if tps is None or p95 is None:
        raise WorkloadError("sysbench printed no transaction/latency summary:\n" + output[-1500:])
    return Measurement(
        tps=float(tps.group(2)),
        p95_ms=float(p95.group(1)),
        transactions=int(tps.group(1)),
        errors=int(errors.group(1)) if errors else 0,
    )


def _sysbench_connection(server: ThrowawayServer, database: str) -> list[str]:
    if isinstance(server, MariaDB):
        return [
            "--db-driver=mysql",
            f"--mysql-socket={server.socket_path}",
            "--mysql-user=root",
            f"--mysql-db={database}",
        ]
    if isinstance(server, Postgres):
        return [
            "--db-driver=pgsql",
            f"--pgsql-host={server.socket_dir}",
            f"--pgsql-port={server.port}",
            "--pgsql-user=postgres",
            f"--pgsql-db={database}",
        ]
    raise TypeError(f"no sysbench driver for {server.engine}")


class SysbenchOltp(Workload):
    """sysbench's bundled `oltp_read_write` / `oltp_read_only`, uniform access over all rows."""

    database = "sbtest"

    def __init__(self, sizes: Sizes, script: str) -> None:
        super().__init__(sizes)
        self.script = script
        self.name = f"sysbench {script}"

    def _argv(self, server: ThrowawayServer, command: str, threads: int) -> list[str]:
        return [
            "sysbench",
            self.script,
            *_sysbench_connection(server, self.database),
            f"--tables={self.sizes.sysbench_tables}",
            f"--table-size={self.sizes.sysbench_table_size}",
            f"--threads={threads}",
            "--rand-type=uniform",
            command,
        ]

    def prepare(self, server: ThrowawayServer) -> None:
        self.create_database(server)
        _run(self._argv(server, "prepare", threads=2), "sysbench prepare")

    def run(self, server: ThrowawayServer, seconds: int) -> Measurement:
        argv = self._argv(server, "run", threads=self.sizes.threads)
        argv[-1:-1] = [f"--time={seconds}", "--percentile=95", "--report-interval=0"]
        return parse_sysbench(_run(argv, self.name, timeout=seconds + 300))


class NippoMix(Workload):
    """The reference service's request mix (`nippo_mix.lua`) over its modelled tables."""

    name = "nippo mix"
    database = "nippo"

    def prepare(self, server: ThrowawayServer) -> None:
        self.create_database(server)
        dialect = nippo_data.MARIADB if isinstance(server, MariaDB) else nippo_data.POSTGRES
        connection = server.connect(self.database)
        try:
            nippo_data.load(connection, dialect, self.sizes.nippo)
        finally:
            connection.close()

    def run(self, server: ThrowawayServer, seconds: int) -> Measurement:
        size = self.sizes.nippo
        argv = [
            "sysbench",
            str(_NIPPO_LUA),
            *_sysbench_connection(server, self.database),
            f"--learners={size.learners}",
            f"--days={size.days}",
            f"--cohorts={size.cohorts}",
            f"--threads={self.sizes.threads}",
            f"--time={seconds}",
            "--percentile=95",
            "--report-interval=0",
            "run",
        ]
        return parse_sysbench(_run(argv, self.name, timeout=seconds + 300))


# pgbench ----------------------------------------------------------------------

_PGBENCH_TPS = re.compile(r"tps = ([\d.]+) \(without initial connection time\)")
_PGBENCH_FAILED = re.compile(r"number of failed transactions: (\d+)")


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `values` (fraction in 0..1)."""
    ordered = sorted(values)
    rank = max(math.ceil(fraction * len(ordered)), 1)
    return ordered[rank - 1]


class Pgbench(Workload):
    """pgbench's built-in TPC-B-like (`tpcb-like`) or `select-only` script."""

    database = "pgbench"

    def __init__(self, sizes: Sizes, builtin: str) -> None:
        super().__init__(sizes)
        self.builtin = builtin
        self.name = f"pgbench {builtin}"

    def _connection(self, server: ThrowawayServer) -> list[str]:
        assert isinstance(server, Postgres)
        return ["-h", str(server.socket_dir), "-p", str(server.port), "-U", "postgres"]

    def prepare(self, server: ThrowawayServer) -> None:
        self.create_database(server)
        argv = ["pgbench", *self._connection(server), "-i", "-q"]
        _run([*argv, "-s", str(self.sizes.pgbench_scale), self.database], "pgbench -i")

    def run(self, server: ThrowawayServer, seconds: int) -> Measurement:
        logdir = server.base / "pgbench-logs"
        logdir.mkdir(exist_ok=True)
        for old in logdir.iterdir():
            old.unlink()
        argv = [
            "pgbench",
            *self._connection(server),
            "-n",  # no VACUUM before the run: the same state for every configuration
            "-b",
            self.builtin,
            "-c",
            str(self.sizes.threads),
            "-j",
            "2",
            "-T",
            str(seconds),
            "-l",
            f"--log-prefix={logdir / 'tx'}",
            self.database,
        ]
        output = _run(argv, self.name, timeout=seconds + 300)
        tps = _PGBENCH_TPS.search(output)
        if tps is None:
            raise WorkloadError("pgbench printed no tps line:\n" + output[-1500:])
        latencies_ms = [
            int(line.split()[2]) / 1000.0
            for path in logdir.iterdir()
            for line in path.read_text().splitlines()
            if line
        ]
        failed = _PGBENCH_FAILED.search(output)
        return Measurement(
            tps=float(tps.group(1)),
            p95_ms=percentile(latencies_ms, 0.95) if latencies_ms else math.nan,
            transactions=len(latencies_ms),
            errors=int(failed.group(1)) if failed else 0,
        )


def for_engine(engine: str, sizes: Sizes) -> list[Workload]:
    """The workloads run on `engine`, in order."""
    if engine == "mariadb":
        return [
            SysbenchOltp(sizes, "oltp_read_write"),
            SysbenchOltp(sizes, "oltp_read_only"),
            NippoMix(sizes),
        ]
    return [Pgbench(sizes, "tpcb-like"), Pgbench(sizes, "select-only"), NippoMix(sizes)]


__all__ = [
    "Measurement",
    "NippoMix",
    "Pgbench",
    "Sizes",
    "SysbenchOltp",
    "Workload",
    "WorkloadError",
    "for_engine",
    "parse_sysbench",
    "percentile",
]
