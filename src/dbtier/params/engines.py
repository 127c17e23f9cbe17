"""Engine facts: every parameter dbtier may set, per engine, with type, unit, range and defaults.

One table per SQL dialect (MySQL/MariaDB, PostgreSQL), with each engine version
a small set of overrides: an engine differs in facts, not in code. A parameter
carries its RDS name and unit (PostgreSQL memory in 8kB pages or kB, as the RDS
parameter group takes it), its range, whether it is static (`pending-reboot`) or
dynamic (`immediate`), the engine's compiled-in default, the RDS default (a value,
an RDS formula, or a function of the instance for the few RDS rules no formula
expresses), and what memory it accounts for.

Where RDS's apply type was not certain, the parameter is marked static:
`pending-reboot` is accepted for dynamic parameters too, `immediate` is not for
static ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from dbtier.errors import DesignError, UsageError
from dbtier.params.catalog import GiB, MiB
from dbtier.params.formula import evaluate, is_formula

Kind = Literal["int", "float", "bool", "enum", "string", "list"]
MemoryRole = Literal["global", "per_connection", "per_autovacuum_worker"]
Dialect = Literal["mysql", "postgres"]
RdsDefault = str | Callable[[Mapping[str, int]], str] | None

INT_MAX = 2**31 - 1
BIG = 2**63 - 1
# Bytes in one unit, for memory parameters.
UNIT_BYTES = {"bytes": 1, "kB": 1024, "8kB": 8192, "MB": MiB}


@dataclass(frozen=True)
class ParamSpec:
    """What dbtier knows about one parameter of one engine."""

    name: str
    kind: Kind
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    static: bool = False
    engine_default: str | None = None
    rds_default: RdsDefault = None
    memory: MemoryRole | None = None
    rds_only: bool = False
    needs_tls: bool = False

    @property
    def apply_method(self) -> Literal["pending-reboot", "immediate"]:
        """How RDS applies a change: static parameters wait for a reboot."""
        return "pending-reboot" if self.static else "immediate"

    def check(self, value: str) -> None:
        """Raise DesignError when `value` is not valid for this parameter."""
        problem = self._problem(value)
        if problem:
            raise DesignError(f"parameter {self.name} = {value!r}: {problem}")

    def _problem(self, value: str) -> str | None:
        if self.kind in ("int", "float"):
            try:
                number = int(value) if self.kind == "int" else float(value)
            except ValueError:
                return f"not a{'n integer' if self.kind == 'int' else ' number'}"
            if self.minimum is not None and number < self.minimum:
                return f"below the minimum {self.minimum:g}{self.unit and ' ' + self.unit}"
            if self.maximum is not None and number > self.maximum:
                return f"above the maximum {self.maximum:g}{self.unit and ' ' + self.unit}"
            return None
        if self.kind == "bool" and value not in ("0", "1"):
            return "a boolean parameter takes 0 or 1"
        if self.kind == "enum" and value not in self.choices:
            return f"not one of {', '.join(self.choices)}"
        if self.kind == "list" and self.choices:
            # An empty list (the engine's own default for shared_preload_libraries) is valid.
            items = [item.strip() for item in value.split(",") if item.strip()]
            unknown = [item for item in items if item not in self.choices]
            if unknown:
                return f"{', '.join(unknown)} not among {', '.join(self.choices)}"
        return None

    def to_bytes(self, value: str) -> int:
        """Bytes a memory parameter's value stands for (its unit times the number)."""
        return int(float(value)) * UNIT_BYTES[self.unit]


@dataclass(frozen=True)
class EngineFacts:
    """One engine: its RDS family, dialect, port and parameter table."""

    key: str
    family: str
    dialect: Dialect
    version: tuple[int, int]
    port: int
    params: Mapping[str, ParamSpec]

    def spec(self, name: str) -> ParamSpec:
        """The parameter's facts; DesignError when the engine has no such parameter."""
        try:
            return self.params[name]
        except KeyError:
            raise DesignError(
                f"parameter {name} is not a known {self.key} parameter; "
                "it would be rejected by RDS (or is missing from dbtier's engine table)"
            ) from None

    def rds_default(self, name: str, variables: Mapping[str, int]) -> str | None:
        """RDS's default value of `name` on an instance with these formula variables."""
        default = self.spec(name).rds_default
        if default is None:
            return None
        if callable(default):
            return default(variables)
        return str(evaluate(default, variables)) if is_formula(default) else default

    def default(self, name: str, variables: Mapping[str, int]) -> str | None:
        """What an RDS instance runs with when dbtier does not set `name`."""
        rds = self.rds_default(name, variables)
        return rds if rds is not None else self.spec(name).engine_default


def _p(
    name: str,
    kind: Kind,
    unit: str = "",
    lo: float | None = None,
    hi: float | None = None,
    **extra: object,
) -> ParamSpec:
    return ParamSpec(name, kind, unit, lo, hi, **extra)  # type: ignore[arg-type]


def _bool(name: str, default: str, **extra: object) -> ParamSpec:
    return ParamSpec(name, "bool", engine_default=default, **extra)  # type: ignore[arg-type]


_MYSQL_BASE: tuple[ParamSpec, ...] = (
    # memory: global buffers
    _p(
        "innodb_buffer_pool_size",
        "int",
        "bytes",
        5 * MiB,
        BIG,
        static=True,
        engine_default=str(128 * MiB),
        rds_default="{DBInstanceClassMemory*3/4}",
        memory="global",
    ),
    _p("innodb_buffer_pool_instances", "int", "", 1, 64, static=True, engine_default="1"),
    _p(
        "innodb_log_buffer_size",
        "int",
        "bytes",
        256 * 1024,
        4294967295,
        static=True,
        engine_default=str(16 * MiB),
        memory="global",
    ),
    _p(
        "innodb_sort_buffer_size",
        "int",
        "bytes",
        65536,
        64 * MiB,
        static=True,
        engine_default=str(MiB),
        memory="global",
    ),
    _p(
        "key_buffer_size",
        "int",
        "bytes",
        8,
        BIG,
        engine_default=str(8 * MiB),
        rds_default=str(16 * MiB),
        memory="global",
    ),
    _p("temptable_max_ram", "int", "bytes", 2 * MiB, BIG, engine_default=str(GiB), memory="global"),
    # memory: per connection
    _p(
        "sort_buffer_size",
        "int",
        "bytes",
        32768,
        BIG,
        engine_default="262144",
        memory="per_connection",
    ),
    _p(
        "join_buffer_size",
        "int",
        "bytes",
        128,
        BIG,
        engine_default="262144",
        memory="per_connection",
    ),
    _p(
        "read_buffer_size",
        "int",
        "bytes",
        8192,
        2147479552,
        engine_default="131072",
        memory="per_connection",
    ),
    _p(
        "read_rnd_buffer_size",
        "int",
        "bytes",
        1,
        2147483647,
        engine_default="262144",
        memory="per_connection",
    ),
    _p(
        "binlog_cache_size",
        "int",
        "bytes",
        4096,
        BIG,
        engine_default="32768",
        memory="per_connection",
    ),
    _p(
        "thread_stack",
        "int",
        "bytes",
        131072,
        BIG,
        static=True,
        engine_default=str(MiB),
        rds_default="262144",
        memory="per_connection",
    ),
    _p("tmp_table_size", "int", "bytes", 1024, BIG, engine_default=str(16 * MiB)),
    _p("max_heap_table_size", "int", "bytes", 16384, BIG, engine_default=str(16 * MiB)),
    # connections
    _p(
        "max_connections",
        "int",
        "",
        1,
        100000,
        engine_default="151",
        rds_default="{DBInstanceClassMemory/12582880}",
    ),
    _p("thread_cache_size", "int", "", 0, 16384, engine_default="9"),
    _p("table_open_cache", "int", "", 1, 524288, engine_default="4000"),
    _p("wait_timeout", "int", "s", 1, 31536000, engine_default="28800"),
    # I/O and redo
    _p(
        "innodb_log_file_size",
        "int",
        "bytes",
        4 * MiB,
        512 * GiB,
        static=True,
        engine_default=str(48 * MiB),
        rds_default=str(128 * MiB),
    ),
    _p(
        "innodb_redo_log_capacity",
        "int",
        "bytes",
        8 * MiB,
        128 * GiB,
        engine_default=str(100 * MiB),
    ),
    _p("innodb_io_capacity", "int", "", 100, 2**32 - 1, engine_default="200", rds_default="200"),
    _p(
        "innodb_io_capacity_max",
        "int",
        "",
        100,
        2**32 - 1,
        engine_default="2000",
        rds_default="2000",
    ),
    _p("innodb_flush_neighbors", "enum", choices=("0", "1", "2"), engine_default="0"),
    _p("innodb_read_io_threads", "int", "", 1, 64, static=True, engine_default="4"),
    _p("innodb_write_io_threads", "int", "", 1, 64, static=True, engine_default="4"),
    _bool("innodb_adaptive_hash_index", "1"),
    # durability
    _p(
        "innodb_flush_log_at_trx_commit",
        "enum",
        choices=("0", "1", "2"),
        engine_default="1",
        rds_default="1",
    ),
    _p("sync_binlog", "int", "", 0, 4294967295, engine_default="1", rds_default="1"),
    # binary log group commit: how long the leader of a commit group waits for more
    # commits before the one binlog fsync, and how many end the wait early (both
    # "Modifiable: Yes" in AWS's Aurora MySQL version 3 parameter reference; RDS for MySQL's
    # flag is to be confirmed with describe-db-parameters)
    _p("binlog_group_commit_sync_delay", "int", "us", 0, 1000000, engine_default="0"),
    _p("binlog_group_commit_sync_no_delay_count", "int", "", 0, 100000, engine_default="0"),
    # observability
    _bool("slow_query_log", "0", rds_default="0"),
    _p("long_query_time", "float", "s", 0, 31536000, engine_default="10", rds_default="10"),
    _p(
        "log_output",
        "enum",
        choices=("FILE", "TABLE", "NONE"),
        engine_default="FILE",
        rds_default="TABLE",
    ),
    _bool("general_log", "0", rds_default="0"),
    _bool("log_queries_not_using_indexes", "0"),
    _bool("performance_schema", "1", static=True),
    _bool("innodb_stats_persistent", "1"),
    # security, locale
    _bool("require_secure_transport", "0", rds_default="0", needs_tls=True),
    _p(
        "character_set_server",
        "enum",
        choices=("utf8mb4", "utf8mb3", "latin1"),
        engine_default="utf8mb4",
    ),
    _p("collation_server", "string", engine_default="utf8mb4_0900_ai_ci"),
    _p("time_zone", "string", engine_default="SYSTEM", rds_default="UTC"),
    _bool("innodb_dedicated_server", "0", static=True),
)


def _mysql84_buffer_pool(variables: Mapping[str, int]) -> str:
    """RDS for MySQL 8.4 sizes the pool with innodb_dedicated_server's memory rule."""
    memory = variables["DBInstanceClassMemory"]
    if memory < GiB:
        return str(128 * MiB)
    return str(memory // 2 if memory <= 4 * GiB else memory * 3 // 4)


def _replace(
    base: tuple[ParamSpec, ...], drop: tuple[str, ...] = (), **changes: dict[str, object]
) -> dict[str, ParamSpec]:
    table = {spec.name: spec for spec in base if spec.name not in drop}
    for name, fields in changes.items():
        table[name] = dataclasses.replace(table[name], **fields)  # type: ignore[arg-type]
    return table


# RDS for MySQL 8.0 parameter groups do not expose innodb_redo_log_capacity (re:Post
# "RDS MySQL 8.0.30 is missing configurable innodb_redo_log_capacity"); 8.0.30+ derives
# the capacity from innodb_log_file_size × innodb_log_files_in_group (2 on RDS).
_MYSQL80 = _replace(_MYSQL_BASE, drop=("innodb_redo_log_capacity",))
_MYSQL84 = _replace(
    _MYSQL_BASE,
    drop=("innodb_log_file_size",),
    innodb_buffer_pool_size={"rds_default": _mysql84_buffer_pool},
    innodb_redo_log_capacity={"rds_default": "LEAST({DBInstanceVCPU*536870912},17179869184)"},
    innodb_dedicated_server={"rds_default": "1"},
    innodb_adaptive_hash_index={"engine_default": "0"},
    innodb_io_capacity={"engine_default": "10000"},
    innodb_io_capacity_max={"engine_default": "20000"},
    innodb_log_buffer_size={"engine_default": str(64 * MiB)},
)
_MARIADB_EXTRA = (
    _p(
        "aria_pagecache_buffer_size",
        "int",
        "bytes",
        128 * 1024,
        BIG,
        static=True,
        engine_default=str(128 * MiB),
        memory="global",
    ),
    _p("query_cache_size", "int", "bytes", 0, BIG, engine_default=str(MiB), memory="global"),
    _p("query_cache_type", "enum", choices=("0", "1", "2"), static=True, engine_default="0"),
    # MariaDB's binary log group commit: a commit waits until this many others are ready
    # to join its binlog fsync, or binlog_commit_wait_usec has passed (0: no wait)
    _p("binlog_commit_wait_count", "int", "", 0, 4294967295, engine_default="0"),
    _p("binlog_commit_wait_usec", "int", "us", 0, 4294967295, engine_default="100000"),
)
_MARIADB1011 = _replace(
    _MYSQL_BASE + _MARIADB_EXTRA,
    drop=(
        "innodb_redo_log_capacity",
        "temptable_max_ram",
        "innodb_buffer_pool_instances",
        "innodb_dedicated_server",
        "binlog_group_commit_sync_delay",
        "binlog_group_commit_sync_no_delay_count",
    ),
    innodb_log_file_size={
        "engine_default": str(96 * MiB),
        "rds_default": str(2 * GiB),
        "minimum": MiB,
    },
    max_connections={"rds_default": "LEAST({DBInstanceClassMemory/25165760},12000)"},
    innodb_adaptive_hash_index={"engine_default": "0", "rds_default": "0"},
    innodb_flush_neighbors={"engine_default": "1"},
    sort_buffer_size={"engine_default": str(2 * MiB)},
    thread_stack={"engine_default": "299008"},
    # MariaDB keeps in-memory temporary tables per connection (MEMORY engine).
    tmp_table_size={"memory": "per_connection"},
    sync_binlog={"engine_default": "0"},
    key_buffer_size={"engine_default": str(128 * MiB)},
    table_open_cache={"engine_default": "2000"},
    performance_schema={"engine_default": "0"},
    character_set_server={"engine_default": "latin1"},
    collation_server={"engine_default": "latin1_swedish_ci"},
)


def _rds_huge_pages(variables: Mapping[str, int]) -> str:
    """RDS for PostgreSQL turns huge pages on above the medium classes."""
    return "on" if variables["DBInstanceClassHugePagesDefault"] else "off"


_PG_BASE: tuple[ParamSpec, ...] = (
    # memory
    _p(
        "shared_buffers",
        "int",
        "8kB",
        16,
        1073741823,
        static=True,
        engine_default="16384",
        rds_default="{DBInstanceClassMemory/32768}",
        memory="global",
    ),
    _p(
        "effective_cache_size",
        "int",
        "8kB",
        1,
        INT_MAX,
        engine_default="524288",
        rds_default="{DBInstanceClassMemory/16384}",
    ),
    _p("work_mem", "int", "kB", 64, INT_MAX, engine_default="4096", memory="per_connection"),
    _p("hash_mem_multiplier", "float", "", 1, 1000, engine_default="2"),
    _p(
        "maintenance_work_mem",
        "int",
        "kB",
        1024,
        INT_MAX,
        engine_default="65536",
        rds_default="GREATEST({DBInstanceClassMemory*1024/63963136},65536)",
        memory="global",
    ),
    _p(
        "autovacuum_work_mem",
        "int",
        "kB",
        -1,
        INT_MAX,
        engine_default="-1",
        rds_default="GREATEST({DBInstanceClassMemory/32768},65536)",
        memory="per_autovacuum_worker",
    ),
    _p("temp_buffers", "int", "8kB", 100, 1073741823, engine_default="1024"),
    _p("wal_buffers", "int", "8kB", -1, 262143, static=True, engine_default="-1"),
    _p(
        "huge_pages",
        "enum",
        choices=("on", "off", "try"),
        static=True,
        engine_default="try",
        rds_default=_rds_huge_pages,
    ),
    # connections
    _p(
        "max_connections",
        "int",
        "",
        6,
        262143,
        static=True,
        engine_default="100",
        rds_default="LEAST({DBInstanceClassMemory/9531392},5000)",
    ),
    _p(
        "idle_in_transaction_session_timeout",
        "int",
        "ms",
        0,
        INT_MAX,
        engine_default="0",
        rds_default="86400000",
    ),
    # I/O, WAL and checkpoints
    _p("max_wal_size", "int", "MB", 2, INT_MAX, engine_default="1024", rds_default="2048"),
    _p("min_wal_size", "int", "MB", 2, INT_MAX, engine_default="80", rds_default="192"),
    _p("checkpoint_timeout", "int", "s", 30, 86400, engine_default="300", rds_default="300"),
    _p("checkpoint_completion_target", "float", "", 0, 1, engine_default="0.9"),
    _p("random_page_cost", "float", "", 0, 1.79e308, engine_default="4", rds_default="4"),
    _p("effective_io_concurrency", "int", "", 0, 1000, engine_default="1", rds_default="1"),
    _p("default_statistics_target", "int", "", 1, 10000, engine_default="100"),
    _p(
        "wal_compression",
        "enum",
        choices=("off", "on", "pglz", "lz4", "zstd"),
        engine_default="off",
    ),
    _p(
        "max_worker_processes",
        "int",
        "",
        0,
        262143,
        static=True,
        engine_default="8",
        rds_default="GREATEST({DBInstanceVCPU*2},8)",
    ),
    _p(
        "max_parallel_workers",
        "int",
        "",
        0,
        1024,
        engine_default="8",
        rds_default="GREATEST({DBInstanceVCPU/2},8)",
    ),
    _p("max_parallel_workers_per_gather", "int", "", 0, 1024, engine_default="2"),
    _p("max_parallel_maintenance_workers", "int", "", 0, 1024, engine_default="2"),
    _bool("jit", "1"),
    # durability
    _p(
        "synchronous_commit",
        "enum",
        choices=("on", "off", "local", "remote_write", "remote_apply"),
        engine_default="on",
    ),
    _p("commit_delay", "int", "us", 0, 100000, engine_default="0"),
    _p("commit_siblings", "int", "", 0, 1000, engine_default="5"),
    # observability
    _p(
        "log_min_duration_statement",
        "int",
        "ms",
        -1,
        INT_MAX,
        engine_default="-1",
        rds_default="-1",
    ),
    _p("log_statement", "enum", choices=("none", "ddl", "mod", "all"), engine_default="none"),
    _bool("log_lock_waits", "0"),
    _p("log_temp_files", "int", "kB", -1, INT_MAX, engine_default="-1"),
    _p("log_autovacuum_min_duration", "int", "ms", -1, INT_MAX, engine_default="600000"),
    _p(
        "shared_preload_libraries",
        "list",
        static=True,
        choices=(
            "pg_stat_statements",
            "auto_explain",
            "pg_cron",
            "pg_hint_plan",
            "pglogical",
            "pg_prewarm",
            "pgaudit",
        ),
        engine_default="",
        rds_default="pg_stat_statements",
    ),
    _p("pg_stat_statements.track", "enum", choices=("none", "top", "all"), engine_default="top"),
    _bool("track_io_timing", "0", rds_default="1"),
    _p("rds.log_retention_period", "int", "min", 1440, 10080, rds_default="4320", rds_only=True),
    # security, locale
    _bool("rds.force_ssl", "0", static=True, rds_default="1", rds_only=True, needs_tls=True),
    _p("timezone", "string", engine_default="UTC", rds_default="UTC"),
    # autovacuum
    _bool("autovacuum", "1", rds_default="1"),
    _bool("rds.adaptive_autovacuum", "1", rds_default="1", rds_only=True),
    _p(
        "autovacuum_max_workers",
        "int",
        "",
        1,
        262143,
        static=True,
        engine_default="3",
        rds_default="GREATEST({DBInstanceClassMemory/64371566592},3)",
    ),
    _p("autovacuum_naptime", "int", "s", 1, 2147483, engine_default="60", rds_default="15"),
    _p(
        "autovacuum_vacuum_scale_factor",
        "float",
        "",
        0,
        100,
        engine_default="0.2",
        rds_default="0.1",
    ),
    _p(
        "autovacuum_analyze_scale_factor",
        "float",
        "",
        0,
        100,
        engine_default="0.1",
        rds_default="0.05",
    ),
    _p("autovacuum_vacuum_insert_scale_factor", "float", "", 0, 100, engine_default="0.2"),
    _p(
        "autovacuum_vacuum_cost_limit",
        "int",
        "",
        -1,
        10000,
        engine_default="-1",
        rds_default="GREATEST({log(DBInstanceClassMemory/21474836480)*600},200)",
    ),
)
_PG = _replace(_PG_BASE)

ENGINES: dict[str, EngineFacts] = {
    "mysql8.0": EngineFacts("mysql8.0", "mysql8.0", "mysql", (8, 0), 3306, _MYSQL80),
    "mysql8.4": EngineFacts("mysql8.4", "mysql8.4", "mysql", (8, 4), 3306, _MYSQL84),
    "mariadb10.11": EngineFacts(
        "mariadb10.11", "mariadb10.11", "mysql", (10, 11), 3306, _MARIADB1011
    ),
    "postgres15": EngineFacts("postgres15", "postgres15", "postgres", (15, 0), 5432, _PG),
    "postgres16": EngineFacts("postgres16", "postgres16", "postgres", (16, 0), 5432, _PG),
    "postgres17": EngineFacts("postgres17", "postgres17", "postgres", (17, 0), 5432, _PG),
}


def engine_facts(engine: str) -> EngineFacts:
    """The facts of `engine` (e.g. 'mysql8.0'); UsageError when unknown."""
    try:
        return ENGINES[engine]
    except KeyError:
        raise UsageError(
            f"engine {engine!r} is not supported; choose one of {', '.join(ENGINES)}"
        ) from None


__all__ = ["ENGINES", "UNIT_BYTES", "EngineFacts", "ParamSpec", "engine_facts"]
