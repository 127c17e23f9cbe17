"""`uv run python -m bench.params.worst_case`: the memory check's worst case, measured.

`dbtier params design` refuses a design whose worst case (global buffers + every
connection's buffers at once, `dbtier.params.memory`) is above 90 % of the class's
memory, and aims at 85 %. That worst case is computed, and one item of it (the server
process outside its named buffers) is an estimate. This benchmark measures it: for each
configuration it starts a throwaway server (MariaDB 10.11 on 127.0.0.1:3317, PostgreSQL 15
on 127.0.0.1:5443; no memory or I/O cap, so nothing is killed or throttled), fills the
buffer cache (a table of 1.2x the cache, read through it), opens the configuration's
`max_connections` (as the superuser, so the reserved ones too), and has every connection
run, at the same moment, one query that takes each per-connection buffer the check counts
to its limit:

- MariaDB: a block-nested-loop join (join buffer), grouped into an in-memory temporary table
  that outgrows `tmp_table_size` (so it reaches it before going to disk), ordered by a
  non-indexed column (sort buffer), over more rows than each buffer holds;
- PostgreSQL: a hash aggregate over more groups than `work_mem` x `hash_mem_multiplier`
  holds (one such node per connection, the check's convention; parallel workers off).

The server's memory is sampled every 50 ms: MariaDB's resident set; PostgreSQL's
proportional set (Pss) summed over the postmaster and its backends, so shared buffers
count once. It prints the computed worst case beside the measured peak, both as a share
of DBInstanceClassMemory, and saves them under bench/params/results/. It prints; it
asserts nothing.

`--capped` runs the same load with each server held to the class's nominal memory in a
memory cgroup, as `bench.params` holds it (more than the instance leaves it: RDS's own
processes take the difference from DBInstanceClassMemory), and says what became of the
server: it survived, or the kernel's OOM killer killed it (MariaDB's one process) or some
of its processes (a PostgreSQL backend, after which the postmaster ends every session
and recovers), with the connections that failed.

Not measured: PostgreSQL's autovacuum workers (counted by the check), MariaDB's
`innodb_sort_buffer_size` (used by index builds only) and the operating system's own
memory, which DBInstanceClassMemory already leaves out.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.params import configs, memory_limit, servers
from dbtier.params.catalog import MiB
from dbtier.params.design import variables_for
from dbtier.params.engines import engine_facts
from dbtier.params.memory import MemoryBudget, memory_budget
from dbtier.testing.servers import process_tree

RESULTS_DIR = Path(__file__).with_name("results")
PORTS = {"mariadb": 3317, "postgres": 5443}
SAMPLE_S = 0.05
# Bytes of one row of the fill table (id, k, a CHAR(200) pad and a 128-character text).
ROW_BYTES = 400
FILL_FACTOR = 1.2


@dataclass(frozen=True)
class Figure:
    """One configuration: the check's worst case and what the server used."""

    engine: str
    configuration: str
    instance_class: str
    class_memory_bytes: int
    computed_bytes: int
    cache_bytes: int
    connections: int
    idle_bytes: int
    cache_full_bytes: int
    connected_bytes: int
    peak_bytes: int
    capped_bytes: int | None = None  # the memory cgroup's limit (None: not capped)
    outcome: str = "survived"  # under the cap: what became of the server

    @property
    def computed_share(self) -> float:
        return self.computed_bytes / self.class_memory_bytes

    @property
    def peak_share(self) -> float:
        return self.peak_bytes / self.class_memory_bytes

    @property
    def per_connection_bytes(self) -> float:
        """What one busy connection added, beyond the full cache."""
        return (self.peak_bytes - self.cache_full_bytes) / self.connections


def _server_memory(pid: int, engine: str) -> int:
    """Resident (MariaDB) or proportional (PostgreSQL, summed over its processes) bytes."""
    if engine == "mariadb":
        status = Path(f"/proc/{pid}/status").read_text()
        line = next(row for row in status.splitlines() if row.startswith("VmRSS:"))
        return int(line.split()[1]) * 1024
    total = 0
    for process in process_tree(pid):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            for row in Path(f"/proc/{process}/smaps_rollup").read_text().splitlines():
                if row.startswith("Pss:"):
                    total += int(row.split()[1]) * 1024
    return total


class Sampler:
    """The peak of `_server_memory` while it runs, sampled every SAMPLE_S seconds."""

    def __init__(self, pid: int, engine: str) -> None:
        self.pid, self.engine, self.peak = pid, engine, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError, StopIteration):
                self.peak = max(self.peak, _server_memory(self.pid, self.engine))
            self._stop.wait(SAMPLE_S)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _setting(connection: Any, engine: str, name: str) -> int:
    with connection.cursor() as cursor:
        if engine == "mariadb":
            cursor.execute("SELECT @@GLOBAL." + name)
        else:
            cursor.execute(
                "SELECT setting::bigint * COALESCE(pg_size_bytes("
                "CASE WHEN unit ~ '^[0-9]' THEN unit ELSE '1' || unit END), 1)"
                " FROM pg_settings WHERE name = %s",
                (name,),
            )
        row = cursor.fetchone()
    return int(row[0])


def _fill(server: servers.ThrowawayServer, engine: str, rows: int) -> None:
    """Create `m.t` with `rows` rows and read it through the buffer cache."""
    server.execute("CREATE DATABASE m")
    connection = server.connect("m")
    try:
        with connection.cursor() as cursor:
            if engine == "mariadb":
                cursor.execute(
                    "CREATE TABLE t (id INT PRIMARY KEY, k INT NOT NULL, pad CHAR(200) NOT NULL,"
                    " txt VARCHAR(200) NOT NULL) ENGINE=InnoDB"
                )
                step = 500_000
                for low in range(1, rows + 1, step):
                    high = min(rows, low + step - 1)
                    cursor.execute(
                        "INSERT INTO t SELECT seq, seq % 1000, MD5(seq), REPEAT(MD5(seq), 4)"
                        f" FROM seq_{low}_to_{high}"
                    )
            else:
                cursor.execute(
                    "CREATE TABLE t (id INT PRIMARY KEY, k INT NOT NULL, pad CHAR(200) NOT NULL,"
                    " txt VARCHAR(200) NOT NULL)"
                )
                cursor.execute(
                    "INSERT INTO t SELECT g, g % 1000, md5(g::text), repeat(md5(g::text), 4)"
                    f" FROM generate_series(1, {rows}) AS g"
                )
    finally:
        connection.close()
    server.prewarm(["m"])


def _busy_query(engine: str, index: int, buffers: dict[str, int], rows: int) -> list[str]:
    """Statements that take each per-connection buffer to its limit, for connection `index`
    (each on its own range of the `rows`-row table, wrapping round when they run out)."""
    if engine == "mariadb":
        # Rows enough to outgrow the temporary-table limit (grouped by the non-indexed txt,
        # one group per row) and the sort and join buffers; the join on the non-indexed pad
        # is a block nested loop.
        grouped = (
            max(buffers["tmp_table_size"], buffers["sort_buffer_size"], buffers["join_buffer_size"])
            * 2
            // ROW_BYTES
        )
        # The join buffer holds the outer rows (all `grouped` of them pass through it); a few
        # inner rows keep the comparisons few.
        joined = 10
        low = 1 + index * grouped % max(1, rows - grouped)
        return [
            "SELECT COUNT(*) FROM (SELECT a.txt, MAX(a.pad) AS pad, COUNT(b.id) AS n FROM t a"
            f" LEFT JOIN t b ON b.pad = a.pad AND b.id BETWEEN {low} AND {low + joined}"
            f" WHERE a.id BETWEEN {low} AND {low + grouped} GROUP BY a.txt"
            " ORDER BY n, pad LIMIT 1000000000) AS x",
        ]
    hash_bytes = buffers["work_mem"] * buffers["hash_mem_multiplier_x100"] // 100
    groups = hash_bytes * 2 // 100  # ~100 bytes per hash entry of (txt, count)
    low = 1 + index * groups % max(1, rows - groups)
    return [
        "SET max_parallel_workers_per_gather = 0",
        "SET enable_sort = off",
        f"SELECT count(*) FROM (SELECT txt, count(*) FROM t WHERE id BETWEEN {low}"
        f" AND {low + groups} GROUP BY txt) AS x",
    ]


def _buffers(connection: Any, engine: str) -> dict[str, int]:
    if engine == "mariadb":
        names = ["tmp_table_size", "max_heap_table_size", "sort_buffer_size", "join_buffer_size"]
        values = {name: _setting(connection, engine, name) for name in names}
        values["tmp_table_size"] = min(values["tmp_table_size"], values["max_heap_table_size"])
        return values
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('hash_mem_multiplier')::float")
        row = cursor.fetchone()
    return {
        "work_mem": _setting(connection, engine, "work_mem"),
        "hash_mem_multiplier_x100": round(float(row[0]) * 100),
    }


def _outcome(
    server: servers.ThrowawayServer,
    limit: memory_limit.MemoryLimit,
    kills_before: int | None,
    failures: list[BaseException],
    connections: int,
) -> str:
    """What became of a capped server under the load: survived, or what the OOM killer did."""
    kills = (memory_limit.oom_kills(limit) or 0) - (kills_before or 0)
    died = server.process is None or server.process.poll() is not None
    lost = f"{len(failures)} of {connections} connections failed"
    first = f" ({str(failures[0]).splitlines()[0][:100]})" if failures else ""
    if died:
        return f"OOM-killed: the server ({kills} kill(s) in its cgroup); {lost}{first}"
    if kills:
        return f"OOM-killed: {kills} of its processes; {lost}{first}"
    if failures:
        return f"{lost}{first}"
    return "survived"


def measure(
    engine: str,
    scenario: str,
    key: str,
    base: Path,
    port: int,
    console: Console,
    capped: bool = False,
    busy_connections: int | None = None,
) -> Figure:
    """Start, fill and load one configuration; return its computed and measured figures.

    `capped`: hold the server to the class's nominal memory and report what became of it
    instead of failing when connections are lost. `busy_connections`: load only this many
    connections (at most max_connections; None: all of them, the check's worst case).
    """
    profile = configs.load(engine, scenario)
    configuration = {c.key: c for c in configs.for_profile(profile)}[key]
    facts = engine_facts(profile.engine)
    budget: MemoryBudget = memory_budget(
        facts, profile.instance, configuration.values, variables_for(profile, facts)
    )
    limit = (
        memory_limit.create(
            f"dbtier-worst-case-{engine}-{key}-{os.getpid()}", profile.instance.memory_bytes
        )
        if capped
        else memory_limit.MemoryLimit(0, None, "not constrained: the peak is measured")
    )
    if capped and not limit.applied:
        raise RuntimeError(f"--capped: no memory cgroup could be made here ({limit.reason})")
    server: servers.ThrowawayServer = (
        servers.MariaDB(base / key, port, limit)
        if engine == "mariadb"
        else servers.Postgres(base / key, port, limit)
    )
    try:
        server.initialize()
        server.start(configuration.fragment(profile.engine))
        assert server.process is not None
        pid = server.process.pid
        idle = _server_memory(pid, engine)
        connection = server.connect()
        cache_name = "innodb_buffer_pool_size" if engine == "mariadb" else "shared_buffers"
        cache = _setting(connection, engine, cache_name)
        # Every connection the server takes: the check counts max_connections, reserved ones
        # included (the superuser may use them).
        connections = _setting(connection, engine, "max_connections")
        if busy_connections is not None:
            connections = min(busy_connections, connections)
        buffers = _buffers(connection, engine)
        connection.close()
        console.log(f"{engine} {key}: filling a {cache / MiB:,.0f} MiB cache")
        rows = int(cache * FILL_FACTOR) // ROW_BYTES
        _fill(server, engine, rows)
        cache_full = _server_memory(pid, engine)
        sessions = [server.connect("m") for _ in range(connections)]
        connected = _server_memory(pid, engine)
        console.log(f"{engine} {key}: {connections} connections, each at its buffers' limit")
        start = threading.Barrier(connections)
        failures: list[BaseException] = []

        def busy(index: int, session: Any) -> None:
            try:
                with session.cursor() as cursor:
                    statements = _busy_query(engine, index, buffers, rows)
                    for statement in statements[:-1]:
                        cursor.execute(statement)
                    start.wait()
                    for _ in range(2):
                        cursor.execute(statements[-1])
                        cursor.fetchall()
            except BaseException as exc:  # reported after the join
                failures.append(exc)

        threads = [
            threading.Thread(target=busy, args=(index, session))
            for index, session in enumerate(sessions)
        ]
        kills_before = memory_limit.oom_kills(limit)
        with Sampler(pid, engine) as sampler:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        for session in sessions:
            with contextlib.suppress(Exception):  # a killed server's sessions are gone
                session.close()
        outcome = "survived"
        if capped:
            outcome = _outcome(server, limit, kills_before, failures, connections)
            console.log(f"{engine} {key}: {outcome}")
        elif failures:
            raise RuntimeError(f"{engine} {key}: a busy connection failed: {failures[0]!r}")
        return Figure(
            engine=engine,
            configuration=configuration.label,
            instance_class=profile.instance_class,
            class_memory_bytes=budget.class_memory_bytes,
            computed_bytes=budget.worst_case_bytes,
            cache_bytes=cache,
            connections=connections,
            idle_bytes=idle,
            cache_full_bytes=cache_full,
            connected_bytes=connected,
            peak_bytes=max(sampler.peak, connected),
            capped_bytes=limit.limit_bytes if capped else None,
            outcome=outcome,
        )
    finally:
        server.destroy()
        memory_limit.remove(limit)


def _table(figures: list[Figure]) -> Table:
    table = Table(title="The memory check's worst case against the measured peak")
    for column in (
        "engine",
        "configuration",
        "cache MiB",
        "busy connections",
        "computed worst case",
        "measured peak",
        "measured ÷ computed",
        "per busy connection MiB",
        "under the cap",
    ):
        table.add_column(
            column, justify="left" if column in ("engine", "configuration") else "right"
        )
    for f in figures:
        table.add_row(
            f.engine,
            f.configuration,
            f"{f.cache_bytes / MiB:,.0f}",
            str(f.connections),
            f"{f.computed_bytes / MiB:,.0f} MiB ({f.computed_share:.0%})",
            f"{f.peak_bytes / MiB:,.0f} MiB ({f.peak_share:.0%})",
            f"{f.peak_bytes / f.computed_bytes:.2f}×",
            f"{f.per_connection_bytes / MiB:.2f}",
            "not capped"
            if f.capped_bytes is None
            else f"{f.capped_bytes / MiB:,.0f} MiB: {f.outcome}",
        )
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.params.worst_case", description=__doc__)
    parser.add_argument("--engines", default="mariadb,postgres", help="mariadb,postgres")
    parser.add_argument("--scenario", choices=("fits", "larger"), default="larger")
    parser.add_argument(
        "--configs", default="rds-default,dbtier", help="rds-default,pgtune,dbtier (pgtune: PG)"
    )
    parser.add_argument(
        "--capped",
        action="store_true",
        help="hold each server to the class's nominal memory and say whether it survives",
    )
    parser.add_argument(
        "--busy",
        type=int,
        default=None,
        metavar="N",
        help="load only N connections (default: every one max_connections allows)",
    )
    args = parser.parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    keys = [k.strip() for k in args.configs.split(",") if k.strip()]
    bad = [e for e in engines if e not in PORTS] + [
        k for k in keys if k not in ("rds-default", "pgtune", "dbtier")
    ]
    if args.busy is not None and args.busy < 1:
        parser.error(f"--busy: at least 1 connection, not {args.busy}")
    if bad or not engines or not keys:
        parser.error(f"unknown engine or configuration: {', '.join(bad) or '(none given)'}")
    console = Console(stderr=True)
    figures: list[Figure] = []
    base = Path(tempfile.mkdtemp(prefix="dbtier-worst-case-"))
    base.chmod(0o755)
    try:
        for engine in engines:
            for key in keys:
                if key == "pgtune" and engine != "postgres":
                    continue
                figures.append(
                    measure(
                        engine,
                        args.scenario,
                        key,
                        base,
                        PORTS[engine],
                        console,
                        capped=args.capped,
                        busy_connections=args.busy,
                    )
                )
    finally:
        with contextlib.suppress(OSError):
            base.rmdir()
    Console(width=160).print(_table(figures))
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M%S")
    capped = "-capped" if args.capped else ""
    busy = f"-busy{args.busy}" if args.busy is not None else ""
    path = RESULTS_DIR / f"{stamp}-worst-case-{args.scenario}{capped}{busy}.json"
    rows = [
        {**asdict(f), "computed_share": f.computed_share, "peak_share": f.peak_share}
        for f in figures
    ]
    path.write_text(json.dumps({"scenario": args.scenario, "figures": rows}, indent=2) + "\n")
    console.log(f"saved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
