"""Make real slow logs: a throwaway MariaDB / PostgreSQL logging every statement under load.

MariaDB runs with `slow_query_log = 1` and `long_query_time = 0`, PostgreSQL
with `log_min_duration_statement = 0` and RDS's `log_line_prefix`
(`%t:%r:%u@%d:[%p]:`). The load alternates sysbench `oltp_read_write` and
nippo's request mix (bench/params/nippo_mix.lua over bench/params/nippo_data)
in short rounds until the log reaches the target size. sysbench runs with
prepared statements off so each statement is logged as sent.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from bench.params import nippo_data
from dbtier.testing.servers import ThrowawayMariaDB, ThrowawayPostgres, ThrowawayServer

NIPPO_LUA = Path(__file__).resolve().parents[1] / "params" / "nippo_mix.lua"
NIPPO_SIZE = nippo_data.NippoSize(learners=400, days=30)
SYSBENCH_TABLES = {"mariadb": 4, "postgres": 1}  # pgBadger keeps digits in names: one table
SYSBENCH_ROWS = 10_000
THREADS = 4
ROUND_S = 8
MAX_ROUNDS = 40


def _connection(server: ThrowawayServer, database: str) -> list[str]:
    if isinstance(server, ThrowawayMariaDB):
        return [
            "--db-driver=mysql",
            f"--mysql-socket={server.socket_path}",
            "--mysql-user=root",
            f"--mysql-db={database}",
        ]
    assert isinstance(server, ThrowawayPostgres)
    return [
        "--db-driver=pgsql",
        f"--pgsql-host={server.socket_dir}",
        f"--pgsql-port={server.port}",
        "--pgsql-user=postgres",
        f"--pgsql-db={database}",
    ]


def _sysbench(argv: list[str]) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv[:2])} failed:\n{(result.stderr or result.stdout)[-1500:]}"
        )


def _oltp(server: ThrowawayServer, engine: str, command: str, seconds: int = 0) -> list[str]:
    argv = [
        "sysbench",
        "oltp_read_write",
        *_connection(server, "sbtest"),
        f"--tables={SYSBENCH_TABLES[engine]}",
        f"--table-size={SYSBENCH_ROWS}",
        f"--threads={THREADS}",
        "--db-ps-mode=disable",
        command,
    ]
    if seconds:
        argv[-1:-1] = [f"--time={seconds}", "--report-interval=0"]
    return argv


def _nippo(server: ThrowawayServer, seconds: int) -> list[str]:
    return [
        "sysbench",
        str(NIPPO_LUA),
        *_connection(server, "nippo"),
        f"--learners={NIPPO_SIZE.learners}",
        f"--days={NIPPO_SIZE.days}",
        f"--cohorts={NIPPO_SIZE.cohorts}",
        f"--threads={THREADS}",
        f"--time={seconds}",
        "--db-ps-mode=disable",
        "--report-interval=0",
        "run",
    ]


def _prepare(server: ThrowawayServer, engine: str) -> None:
    server.execute("CREATE DATABASE sbtest")
    server.execute("CREATE DATABASE nippo")
    _sysbench(_oltp(server, engine, "prepare"))
    dialect = nippo_data.MARIADB if engine == "mariadb" else nippo_data.POSTGRES
    connection = server.connect("nippo")
    try:
        nippo_data.load(connection, dialect, NIPPO_SIZE)
    finally:
        connection.close()


def _load_until(
    server: ThrowawayServer,
    engine: str,
    log: Callable[[], int],
    target: int,
    say: Callable[[str], None],
) -> None:
    for round_number in range(MAX_ROUNDS):
        size = log()
        if size >= target:
            return
        say(
            f"  {engine}: log {size / 1e6:.1f} MB of {target / 1e6:.0f} MB, "
            f"round {round_number + 1}"
        )
        _sysbench(_oltp(server, engine, "run", ROUND_S))
        _sysbench(_nippo(server, ROUND_S))


def mariadb_slow_log(out: Path, target: int, say: Callable[[str], None]) -> Path:
    """A MariaDB slow log of at least `target` bytes at `out`."""
    with ThrowawayMariaDB(config=["innodb_buffer_pool_size=256M"]) as server:
        _prepare(server, "mariadb")
        path = server.base / "slow.log"
        server.execute(f"SET GLOBAL slow_query_log_file = '{path}'")
        server.execute("SET GLOBAL long_query_time = 0")
        server.execute("SET GLOBAL slow_query_log = 1")
        _load_until(
            server, "mariadb", lambda: path.stat().st_size if path.exists() else 0, target, say
        )
        server.execute("SET GLOBAL slow_query_log = 0")
        shutil.copyfile(path, out)
    return out


def postgres_log(out: Path, target: int, say: Callable[[str], None]) -> Path:
    """A PostgreSQL stderr log (RDS prefix) of at least `target` bytes at `out`.

    The throwaway server writes stderr to its own log file (no logging
    collector); statements are logged from after the data is loaded.
    """
    with ThrowawayPostgres(
        config=["shared_buffers = 256MB", "log_line_prefix = '%t:%r:%u@%d:[%p]:'"]
    ) as server:
        _prepare(server, "postgres")
        path = server.log_path
        start = path.stat().st_size
        server.execute("ALTER SYSTEM SET log_min_duration_statement = 0")
        server.execute("SELECT pg_reload_conf()")
        _load_until(server, "postgres", lambda: path.stat().st_size - start, target, say)
        server.execute("ALTER SYSTEM SET log_min_duration_statement = -1")
        server.execute("SELECT pg_reload_conf()")
        shutil.copyfile(path, out)
    return out


__all__ = ["mariadb_slow_log", "postgres_log"]
