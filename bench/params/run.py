"""The benchmark's main loop: one throwaway server per engine, every configuration in turn.

For each engine: create the server, load every workload's data once under the
engine's defaults, then for each round and each configuration restart the
server with that configuration, and run each workload (its own data prewarmed,
an untimed warm-up, then the timed run). Each round rotates the configuration
order by one (ABCD, BCDA, ...), so a configuration's runs are never back to back
and a burst of load on the shared machine does not land on one configuration twice.
Everything is removed on the way out, Ctrl-C and errors included.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console

from bench.params import configs, huge_pages, io_limit, memory_limit, servers, workloads
from bench.params.configs import Configuration
from dbtier import params
from dbtier.errors import DesignError
from dbtier.progress import Reporter

PORTS = {"mariadb": 3307, "postgres": 5433}
# How the runs are prewarmed, for the report. Before session 9: every database once per
# configuration, so a workload's first window still refilled the cache from the others'.
PREWARM = "each timed workload's own database, just before its warm-up"
_LOCK_GAP_S = 20.0  # pause after releasing the bench lock, so other waiters get it first

# What to read back from each running server, to show the configuration really applied.
SHOWN_SETTINGS = {
    "mariadb": [
        "innodb_buffer_pool_size",
        "innodb_log_file_size",
        "innodb_io_capacity",
        "innodb_flush_log_at_trx_commit",
        "sync_binlog",
        "log_bin",
        "binlog_format",
        "binlog_commit_wait_count",
        "binlog_commit_wait_usec",
        "max_connections",
        "tmp_table_size",
        "table_open_cache",
        "thread_cache_size",
        "innodb_adaptive_hash_index",
        "slow_query_log",
    ],
    "postgres": [
        "shared_buffers",
        "effective_cache_size",
        "work_mem",
        "maintenance_work_mem",
        "max_wal_size",
        "checkpoint_timeout",
        "checkpoint_completion_target",
        "wal_buffers",
        "random_page_cost",
        "effective_io_concurrency",
        "synchronous_commit",
        "max_connections",
        "huge_pages",
        "shared_preload_libraries",
    ],
}


@dataclass(frozen=True)
class Options:
    """What to run, from the command line."""

    engines: list[str]
    duration: int
    warmup: int
    rounds: int
    sizes: workloads.Sizes
    instance_class: str | None
    quick: bool
    only: list[str] | None = None  # configuration keys to run (None: all)
    # workloads to time, by a part of their name (None: all); all are still loaded
    workloads: list[str] | None = None
    scenario: str = (
        "fits"  # which profiles: "fits" (<engine>.yaml) or "larger" (<engine>-larger.yaml)
    )
    gp3: bool = True  # cap the servers' I/O to the profile's gp3 IOPS and throughput
    gp3_shared: bool = True  # one budget for reads and writes (False: each capped alone)
    gp3_trace: str | None = None  # append the budget's use and caps per interval here
    huge_pages: bool = True  # offer huge pages where RDS maps shared memory in them
    lock: str | None = None  # hold this flock file around each round (and nice 19 outside)
    # dbtier with these values, too: one more configuration per mapping
    ablations: list[dict[str, str]] = field(default_factory=list)
    port_offset: int = 0  # added to PORTS, so two runs of one engine can overlap


@dataclass
class Sample:
    """One timed run of one workload under one configuration."""

    engine: str
    workload: str
    configuration: str
    round: int
    measurement: workloads.Measurement
    # seconds each kind of background maintenance ran during the timed run (PostgreSQL)
    maintenance: dict[str, float] = field(default_factory=dict)
    # what the server read during the timed run (`Reads`); empty where not counted
    reads: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Reads:
    """A reading of what a server has read so far: from its cache, and from the volume."""

    pages: int  # pages read, from the cache or not
    missed: int  # of those, pages fetched from outside the server's own cache
    device: io_limit.IoCounts | None  # requests the I/O cap counted (None: no cap)
    stalls: int = 0  # throttle stalls the shared budget has lifted so far
    cpu: float = 0.0  # the server's CPU seconds so far (its processes, user and system)
    spills: dict[str, int] = field(default_factory=dict)  # the server's `spills()` so far

    @classmethod
    def take(
        cls,
        server: servers.ThrowawayServer,
        io: io_limit.IoLimit | None,
        budget: io_limit.SharedBudget | None = None,
    ) -> Reads:
        """Read the server's counters and its cgroup's I/O now."""
        pages, missed = server.cache_reads()
        device = io_limit.counts(io) if io is not None else None
        stalls = len(budget.stalls) if budget is not None else 0
        return cls(pages, missed, device, stalls, server.cpu_seconds(), server.spills())

    def since(self, earlier: Reads) -> dict[str, int]:
        """What was read between `earlier` and this reading, for `Sample.reads`."""
        found = {"pages": self.pages - earlier.pages, "missed": self.missed - earlier.missed}
        if self.device is not None and earlier.device is not None:
            device = self.device.since(earlier.device)
            found |= {
                "device_reads": device.read_ios,
                "device_read_bytes": device.read_bytes,
                "device_writes": device.write_ios,
                "device_write_bytes": device.write_bytes,
            }
        found |= {
            name: count - earlier.spills[name]
            for name, count in self.spills.items()
            if name in earlier.spills
        }
        if self.cpu > 0:
            found["server_cpu_ms"] = round(1000 * (self.cpu - earlier.cpu))
        if self.stalls > earlier.stalls:
            found["throttle_stalls"] = self.stalls - earlier.stalls
        return found


@dataclass
class EngineRun:
    """What one engine's part of the benchmark set up, for the report."""

    engine: str
    profile_engine: str
    instance_class: str
    configurations: list[Configuration]
    settings: dict[str, dict[str, str]] = field(default_factory=dict)
    data_bytes: dict[str, int] = field(default_factory=dict)
    load_seconds: float = 0.0
    fresh_data: bool = False  # each configuration ran on a fresh copy of the loaded data
    prewarm: str = PREWARM  # and in what order (the server's `prewarm_order`)
    memory_limit: str = ""
    huge_pages: str = ""  # whether and how servers were offered huge pages
    peak_memory_bytes: int | None = None
    io_limit: str = ""
    io_check: str = ""
    load_averages: list[tuple[str, tuple[float, float, float]]] = field(default_factory=list)


@dataclass
class Results:
    """Everything measured."""

    options: Options
    started: str
    engine_runs: list[EngineRun] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    seconds: float = 0.0


class Status:
    """Progress: a rich bar on a terminal; elsewhere one JSON line per step on stderr.

    Each line names the step now starting and how long the step before took, so a run
    under nohup shows where its time goes (loading, settling, copying, prewarm, runs).
    The bar and the lines are dbtier's own progress reporter's.
    """

    def __init__(self, console: Console, total: int) -> None:
        self._reporter = Reporter(
            "starting", total=total, unit="runs", console=console, component="bench.params"
        )
        self._step = ""
        self._since = time.monotonic()

    def __enter__(self) -> Status:
        self._reporter.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.say("")
        self._reporter.__exit__(*exc)

    def say(self, step: str) -> None:
        """`step` starts now; "" ends the one before."""
        now = time.monotonic()
        if self._step:
            self._reporter.log(
                "step",
                step=self._step,
                seconds=round(now - self._since, 1),
                runs=f"{self._reporter.completed}/{self._reporter.total}",
            )
        self._step, self._since = step, now
        if step:
            self._reporter.update(description=step)

    def advance(self) -> None:
        """One more timed run is done."""
        self._reporter.advance()


def _raise_interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Let SIGTERM unwind like Ctrl-C, so the cleanup below always runs."""
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _read_settings(server: servers.ThrowawayServer, names: list[str]) -> dict[str, str]:
    connection = server.connect()
    try:
        with connection.cursor() as cursor:
            values: dict[str, str] = {}
            for name in names:
                if server.engine == "mariadb":
                    cursor.execute("SHOW GLOBAL VARIABLES LIKE %s", (name,))
                    row = cursor.fetchone()
                    values[name] = str(row[1]) if row else "?"
                else:
                    cursor.execute("SELECT setting, unit FROM pg_settings WHERE name = %s", (name,))
                    row = cursor.fetchone()
                    values[name] = (str(row[0]) + (f" {row[1]}" if row[1] else "")) if row else "?"
            return values
    finally:
        connection.close()


def _data_bytes(server: servers.ThrowawayServer, databases: list[str]) -> dict[str, int]:
    connection = server.connect()
    sizes: dict[str, int] = {}
    try:
        with connection.cursor() as cursor:
            for database in databases:
                if server.engine == "mariadb":
                    cursor.execute(
                        "SELECT COALESCE(SUM(data_length + index_length), 0)"
                        " FROM information_schema.tables WHERE table_schema = %s",
                        (database,),
                    )
                else:
                    cursor.execute("SELECT pg_database_size(%s)", (database,))
                row = cursor.fetchone()
                sizes[database] = int(row[0]) if row else 0
    finally:
        connection.close()
    return sizes


def _server(
    engine: str,
    base: Path,
    limit: memory_limit.MemoryLimit,
    io: io_limit.IoLimit | None,
    offset: int,
    huge: huge_pages.HugePages | None = None,
) -> servers.ThrowawayServer:
    if engine == "mariadb":
        return servers.MariaDB(base / engine, PORTS[engine] + offset, limit, io, huge)
    return servers.Postgres(base / engine, PORTS[engine] + offset, limit, io, huge)


def _profile(engine: str, instance_class: str | None, scenario: str) -> Any:
    profile = configs.load(engine, scenario)
    if instance_class is not None:
        profile = profile.model_copy(update={"instance_class": instance_class})
    return profile


def ablation_error(
    engines: list[str], scenario: str, ablations: list[dict[str, str]]
) -> str | None:
    """Why an ablation cannot be applied on one of `engines`, or None: asked before any data
    is loaded, so an unknown parameter or a value out of range fails at once, not after the
    load."""
    for engine in engines:
        facts = params.engine_facts(configs.load(engine, scenario).engine)
        for ablation in ablations:
            for name, value in ablation.items():
                try:
                    facts.spec(name).check(value)
                except DesignError as exc:
                    return f"--ablate {name}={value}: {exc}"
    return None


@contextlib.contextmanager
def _measuring(options: Options, engine_run: EngineRun, label: str) -> Iterator[None]:
    """Hold the bench lock (if asked) at normal priority for one part; nice 19 outside it.

    Servers and clients started inside inherit the priority. The load average is
    recorded when the part starts and ends.
    """
    lock = None
    if options.lock is not None:
        lock = Path(options.lock).open("a")  # noqa: SIM115 - held across the yield
        fcntl.flock(lock, fcntl.LOCK_EX)
        os.setpriority(os.PRIO_PROCESS, 0, 0)
    engine_run.load_averages.append((f"{label} start", os.getloadavg()))
    try:
        yield
    finally:
        engine_run.load_averages.append((f"{label} end", os.getloadavg()))
        if lock is not None:
            os.setpriority(os.PRIO_PROCESS, 0, 19)
            fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()
            # flock is not fair: asking again at once would win the lock back from those waiting.
            time.sleep(_LOCK_GAP_S)


def _run_engine(
    engine: str, options: Options, base: Path, results: Results, status: Status
) -> None:
    profile = _profile(engine, options.instance_class, options.scenario)
    configurations = [
        c
        for c in configs.for_profile(profile, options.ablations)
        if options.only is None or c.key in options.only or c.key.startswith("ablation")
    ]
    engine_run = EngineRun(engine, profile.engine, profile.instance_class, configurations)
    results.engine_runs.append(engine_run)
    limit = memory_limit.create(
        f"dbtier-bench-{engine}-{os.getpid()}", profile.instance.memory_bytes
    )
    engine_run.memory_limit = (
        f"{profile.instance.memory_gib} GiB via {limit.reason}"
        if limit.applied
        else f"not constrained ({limit.reason})"
    )
    io = None
    budget: io_limit.SharedBudget | None = None
    if options.gp3:
        io = io_limit.create(
            f"dbtier-bench-{engine}-{os.getpid()}",
            base,
            profile.storage.effective_iops,
            io_limit.gp3_throughput_bytes(profile.storage),
        )
        if options.gp3_shared and io.applied:
            trace = None if options.gp3_trace is None else Path(options.gp3_trace)
            budget = io_limit.SharedBudget(io, trace)
            io = budget.limit
        engine_run.io_limit = io.describe()
    else:
        engine_run.io_limit = "gp3 not emulated (--no-gp3): local disk, no cap"
    huge = _huge_pages(profile, options, engine_run)
    server = _server(engine, base, limit, io, options.port_offset, huge)
    engine_run.prewarm = f"{PREWARM} ({server.prewarm_order})"
    work = workloads.for_engine(engine, options.sizes)
    databases = list(dict.fromkeys(w.database for w in work))
    try:
        if budget is not None:
            budget.start()
        status.say(f"{engine}: initializing and loading data")
        server.initialize()
        server.start("")
        loading = time.monotonic()
        prepared: set[str] = set()
        for workload in work:
            if workload.database not in prepared:
                status.say(f"{engine}: loading {workload.database}")
                workload.prepare(server)
                prepared.add(workload.database)
        engine_run.data_bytes = _data_bytes(server, databases)
        server.settle(databases)
        engine_run.fresh_data = server.keep_pristine(databases)
        engine_run.load_seconds = time.monotonic() - loading
        server.stop()
        server.loaded()
        for round_number in range(1, options.rounds + 1):
            shift = (round_number - 1) % len(configurations)
            order = configurations[shift:] + configurations[:shift]
            with _measuring(options, engine_run, f"round {round_number}"):
                if round_number == 1 and io is not None and io.applied:
                    status.say(f"{engine}: checking the I/O cap")
                    engine_run.io_check = io_limit.measure(io, base / "fileio").describe()
                _run_round(
                    engine,
                    options,
                    server,
                    profile,
                    order,
                    work,
                    round_number,
                    engine_run,
                    results,
                    status,
                    io,
                    budget,
                )
        engine_run.peak_memory_bytes = memory_limit.peak_usage(limit)
    finally:
        server.destroy()
        memory_limit.remove(limit)
        if budget is not None:
            budget.stop()
            if budget.stalls:
                engine_run.io_limit += (
                    f"; the kernel's throttle stalled {len(budget.stalls)} times (no I/O for "
                    f"{io_limit.STALL_S} s, a thread waiting) and was lifted for "
                    f"{io_limit.SHARE_INTERVAL_S * 1000:.0f} ms each time, at "
                    + ", ".join(f"{t:.0f}" for t in budget.stalls[:20])
                    + " s from the start; timed windows with one: "
                    + str(
                        sum(
                            1
                            for s in results.samples
                            if s.engine == engine and s.reads.get("throttle_stalls")
                        )
                    )
                )
        if io is not None:
            io_limit.remove(io)


def _huge_pages(
    profile: Any, options: Options, engine_run: EngineRun
) -> huge_pages.HugePages | None:
    """The host's huge page pool where RDS maps this engine's shared memory in huge pages."""
    rds = params.rds_default_values(profile.engine, profile.instance_class).get("huge_pages")
    if rds is None:  # an engine RDS sets no huge pages for (MySQL, MariaDB)
        return None
    if rds != "on":
        engine_run.huge_pages = f"none: RDS maps none on {profile.instance_class}"
        return None
    if not options.huge_pages:
        engine_run.huge_pages = "none (--no-huge-pages): shared memory in 4 KiB pages"
        return None
    pool = huge_pages.probe()
    if not pool.usable:
        engine_run.huge_pages = f"not offered ({pool.reason}): shared memory in 4 KiB pages"
        return None
    engine_run.huge_pages = (
        f"as RDS on {profile.instance_class}: each start reserves what its shared memory "
        f"needs via {pool.reason}, and the memory cgroup shrinks by as much"
    )
    return pool


def _run_round(
    engine: str,
    options: Options,
    server: servers.ThrowawayServer,
    profile: Any,
    order: list[Configuration],
    work: list[workloads.Workload],
    round_number: int,
    engine_run: EngineRun,
    results: Results,
    status: Status,
    io: io_limit.IoLimit | None,
    budget: io_limit.SharedBudget | None,
) -> None:
    """One round: each configuration in `order` in turn, every workload under it."""
    databases = list(dict.fromkeys(w.database for w in work))
    timed = [w for w in work if _selected(options, w.name)]
    for configuration in order:
        status.say(f"{engine} r{round_number}: {configuration.label}: starting")
        server.start(configuration.fragment(profile.engine))
        if engine_run.fresh_data:
            status.say(f"{engine} r{round_number}: {configuration.label}: copying data")
            server.reset(databases)
        engine_run.settings[configuration.key] = _read_settings(server, SHOWN_SETTINGS[engine])
        if server.huge is not None:
            engine_run.settings[configuration.key]["shared memory"] = server.shared_memory()
        for workload in timed:
            label = f"{engine} r{round_number}: {configuration.label}: {workload.name}"
            # Its own data read just before, so the cache holds as much of it as it can at
            # the start: the timed run sees the configuration's steady state, not a cache
            # still refilling (at 3,000 IOPS a 1.3 GiB cache takes ~30 s of reads to turn
            # over) from whatever ran before, which would differ by configuration.
            status.say(label + " (prewarm)")
            server.prewarm([workload.database])
            status.say(label + " (warm-up)")
            workload.run(server, options.warmup)
            status.say(label)
            before = Reads.take(server, io, budget)
            with server.watching_maintenance() as maintenance:
                measurement = workload.run(server, options.duration)
            reads = Reads.take(server, io, budget).since(before)
            results.samples.append(
                Sample(
                    engine,
                    workload.name,
                    configuration.key,
                    round_number,
                    measurement,
                    {what: round(seconds, 1) for what, seconds in maintenance.items()},
                    reads,
                )
            )
            status.advance()
        if not engine_run.fresh_data:  # a fresh copy replaces this data at the next start
            status.say(f"{engine} r{round_number}: {configuration.label}: settling")
            server.settle(databases)
        server.stop()


def _selected(options: Options, name: str) -> bool:
    """True when the workload called `name` is to be timed."""
    return options.workloads is None or any(key in name for key in options.workloads)


def steps(options: Options) -> int:
    """How many timed runs the options ask for (for the progress bar)."""
    total = 0
    for engine in options.engines:
        keys = ["defaults", "rds-default", "dbtier"] + (["pgtune"] if engine == "postgres" else [])
        configurations = len([k for k in keys if options.only is None or k in options.only])
        configurations += len(options.ablations)
        names = (
            ["oltp_read_write", "oltp_read_only", "nippo"]
            if engine == "mariadb"
            else ["tpcb-like", "select-only", "nippo"]
        )
        total += options.rounds * configurations * sum(_selected(options, n) for n in names)
    return total


def run(options: Options, console: Console) -> Results:
    """Run the whole benchmark; the servers and their data are gone when this returns."""
    results = Results(options, time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()))
    base = Path(tempfile.mkdtemp(prefix="dbtier-bench-params-"))
    base.chmod(0o755)  # the servers run as their own users and must reach their directories
    began = time.monotonic()
    if options.lock is not None:
        # Loading data and everything between the measured parts runs at the lowest priority.
        os.setpriority(os.PRIO_PROCESS, 0, 19)
    try:
        with _sigterm_as_interrupt(), Status(console, steps(options)) as status:
            for engine in options.engines:
                _run_engine(engine, options, base, results, status)
    finally:
        shutil.rmtree(base, ignore_errors=True)
        results.seconds = time.monotonic() - began
    return results


__all__ = ["PORTS", "EngineRun", "Options", "Reads", "Results", "Sample", "run", "steps"]
