"""The design rules: each one a small function from the profile to parameters and reasons.

A rule reads the profile and what earlier rules decided (`DesignContext`), and
returns `Setting`s (a parameter, its value in the RDS unit, a one-sentence
rationale tied to the profile) and `Keep`s (a parameter deliberately left at its
default, with the reason). Engines differ in small tables (`_BY_KIND`,
`_COLLATION`), never in forked functions. Order matters: memory for connections
and every other buffer is reserved before the buffer cache takes what is left.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from dbtier.params.catalog import GiB, InstanceClass, MiB
from dbtier.params.engines import EngineFacts
from dbtier.params.formula import evaluate
from dbtier.params.memory import memory_budget, mib
from dbtier.params.profile import WorkloadProfile

# Share of DBInstanceClassMemory a design aims to use at worst; the check refuses above 90 %.
DESIGN_MARGIN = 0.85
HEADROOM = 0.20
# Connections RDS and admins need beyond the application (rdsadmin, monitoring;
# PostgreSQL: superuser_reserved_connections 3 + rds_superuser_reserved 2).
RESERVED = {"mysql": 3, "postgres": 5}
# Redo/WAL bytes one write statement produces, page images included: an estimate.
WAL_PER_WRITE = 4 * 1024


@dataclass(frozen=True)
class Setting:
    """A parameter a rule sets: value in the RDS unit, and why."""

    name: str
    value: str
    rationale: str
    formula: str | None = None


@dataclass(frozen=True)
class Keep:
    """A parameter a rule leaves at its default on purpose, and why."""

    name: str
    reason: str


Decision = Setting | Keep


@dataclass
class DesignContext:
    """What a rule sees: the profile, the engine, the instance and earlier decisions."""

    profile: WorkloadProfile
    facts: EngineFacts
    instance: InstanceClass
    variables: dict[str, int]
    values: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def dialect(self) -> str:
        return self.facts.dialect

    @property
    def memory(self) -> int:
        """DBInstanceClassMemory in bytes."""
        return self.instance.class_memory_bytes

    def effective(self, name: str) -> str:
        """The value `name` will run with: set by a rule, else the RDS/engine default."""
        value = self.values.get(name) or self.facts.default(name, self.variables)
        return value if value is not None else ""

    def differs(self, name: str, value: str) -> bool:
        """True when `value` is not what the instance runs with by default."""
        default = self.facts.default(name, self.variables)
        if default is None:
            return True
        try:
            return float(default) != float(value)
        except ValueError:
            return default != value

    @property
    def max_connections(self) -> int:
        return int(self.effective("max_connections"))


Rule = Callable[[DesignContext], list[Decision]]


def _mib(value: float) -> str:
    return f"{value / MiB:.0f} MiB" if value < GiB else f"{value / GiB:.1f} GiB"


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _set_if_differs(ctx: DesignContext, name: str, value: str, why: str, keep: str) -> Decision:
    if ctx.differs(name, value):
        return Setting(name, value, why)
    return Keep(name, keep)


# -- connections ------------------------------------------------------------------------


def connection_limit(profile: WorkloadProfile) -> int:
    """max_connections for the profile: its pin, else the budget (pools × tasks in a deploy
    at the largest auto scaling maximum + migration + rotation + others), +20 %, + reserved."""
    conn = profile.connections
    if conn.max_connections is not None:
        return conn.max_connections
    budget = conn.budget()
    base = max(budget.service, conn.peak_concurrent) + budget.total - budget.service
    return math.ceil(base * (1 + HEADROOM)) + RESERVED[profile.dialect]


def connections(ctx: DesignContext) -> list[Decision]:
    """max_connections from the connection budget with headroom, not from memory."""
    conn = ctx.profile.connections
    budget = conn.budget()
    reserved = RESERVED[ctx.dialect]
    value = connection_limit(ctx.profile)
    if conn.peak_concurrent > budget.service:
        ctx.notes.append(
            f"peak_concurrent {conn.peak_concurrent} exceeds what the pools can open "
            f"({budget.service}): requests queue in the application's pool; raise pool_size "
            "or tasks."
        )
    rds = ctx.facts.rds_default("max_connections", ctx.variables)
    if conn.max_connections is not None:
        if budget.total > value:
            ctx.notes.append(
                f"the connection budget ({budget.describe()}) exceeds the pinned "
                f"max_connections {value}: the CDK stack refuses to synthesize this profile."
            )
        why = (
            f"pinned by the profile (connections.max_connections); the connection budget is "
            f"{budget.total}: {budget.describe()} (the RDS default would allow {rds})."
        )
        return [Setting("max_connections", str(value), why)]
    base = max(budget.service, conn.peak_concurrent) + budget.total - budget.service
    return [
        Setting(
            "max_connections",
            str(value),
            f"connection budget {budget.describe()}"
            + (
                f" (peak_concurrent {conn.peak_concurrent} counted instead of the pools)"
                if base != budget.total
                else ""
            )
            + f", +{HEADROOM:.0%} headroom + {reserved} reserved = {value}; sized from the "
            f"budget, not from memory (the RDS default would allow {rds}).",
        )
    ]


# -- memory -----------------------------------------------------------------------------

# Share of class memory the per-connection buffers may take, by workload kind.
_CONNECTION_SHARE = {
    "mysql": {"oltp": 0.15, "mixed": 0.20, "olap": 0.30},
    "postgres": {"oltp": 0.25, "mixed": 0.30, "olap": 0.40},
}
# Lower bound of MySQL's per-connection sort and join buffers: MySQL's own default. MariaDB's
# 2 MiB sort buffer goes down to it when the profile's sorts are that small.
BUFFER_FLOOR = 256 * 1024
# Upper bounds of MySQL's per-connection sort and join buffers, by workload kind.
_SORT_CAP = {"oltp": 2 * MiB, "mixed": 8 * MiB, "olap": 64 * MiB}
_JOIN_CAP = {"oltp": 1 * MiB, "mixed": 4 * MiB, "olap": 64 * MiB}


def _per_connection_budget(ctx: DesignContext) -> float:
    share = _CONNECTION_SHARE[ctx.dialect][ctx.profile.workload.kind]
    return share * ctx.memory / ctx.max_connections


def sort_and_join_memory(ctx: DesignContext) -> list[Decision]:
    """Sort/join buffers (MySQL) or work_mem (PostgreSQL) from the largest operations."""
    work = ctx.profile.workload
    budget = _per_connection_budget(ctx)
    if ctx.dialect == "postgres":
        multiplier = float(ctx.effective("hash_mem_multiplier"))
        target = max(4 * MiB, work.largest_sort_mib * MiB, work.largest_join_mib * MiB)
        cap = budget / multiplier
        value = int(max(MiB, min(target, cap))) // (64 * 1024) * 64
        fits = "fits" if target <= cap else "is capped by the connection budget, larger spills"
        return [
            _set_if_differs(
                ctx,
                "work_mem",
                str(int(value)),
                f"the largest sort/hash ({work.largest_sort_mib:g} MiB sort, "
                f"{work.largest_join_mib:g} MiB join) {fits}: {work.kind} gives connections "
                f"{_CONNECTION_SHARE['postgres'][work.kind]:.0%} of memory, "
                f"{_mib(budget)} each over {ctx.max_connections} connections "
                f"(÷ hash_mem_multiplier {multiplier:g}).",
                "the default 4 MB already covers the largest sort the profile expects.",
            )
        ]
    decisions: list[Decision] = []
    for name, largest, caps in (
        ("sort_buffer_size", work.largest_sort_mib, _SORT_CAP),
        ("join_buffer_size", work.largest_join_mib, _JOIN_CAP),
    ):
        default = int(ctx.effective(name))
        floor = min(default, BUFFER_FLOOR)
        value = int(_clamp(largest * MiB, floor, min(caps[work.kind], budget / 4)))
        value = max(floor, value // (64 * 1024) * (64 * 1024))
        operation = name.split("_")[0]
        why = (
            f"the largest {operation} the profile expects is {largest:g} MiB; "
            f"{work.kind} caps it at {_mib(caps[work.kind])} because every connection "
            "may allocate it at once."
        )
        if value < min(default, largest * MiB):
            why = (
                f"the largest {operation} the profile expects is {largest:g} MiB; every "
                f"connection may allocate it at once, so it is capped at {mib(value)}, a "
                f"quarter of the per-connection budget ({mib(int(budget))} each over "
                f"{ctx.max_connections} connections; larger ones merge on disk)."
            )
        elif value < default:
            why = (
                f"the largest {operation} the profile expects is {largest:g} MiB, which "
                f"{mib(value)} holds; the engine's {mib(default)} default would count for "
                "every connection in the worst case, so the difference goes to the buffer "
                "cache (larger ones merge on disk)."
            )
        decisions.append(
            _set_if_differs(
                ctx,
                name,
                str(value),
                why,
                f"the default {mib(default)} covers {work.kind} {operation}s of "
                f"{largest:g} MiB (larger ones merge on disk, which is cheaper than "
                "reserving the buffer for every connection).",
            )
        )
    return decisions


def temp_tables(ctx: DesignContext) -> list[Decision]:
    """In-memory temporary tables: tmp_table_size = max_heap_table_size, TempTable pool."""
    if ctx.dialect == "postgres":
        return [Keep("temp_buffers", "temporary tables are not part of the profile's workload.")]
    work = ctx.profile.workload
    cap = 64 * MiB if work.kind == "oltp" else 256 * MiB
    why = (
        f"the largest GROUP BY/DISTINCT temporary table expected is "
        f"{work.largest_temp_table_mib:g} MiB; both limits are kept equal because the smaller wins"
    )
    if ctx.facts.params["tmp_table_size"].memory == "per_connection":
        # This engine keeps in-memory temporary tables per connection: they share the
        # connection budget with the sort and join buffers.
        used = memory_budget(ctx.facts, ctx.instance, ctx.values, ctx.variables)
        others = used.per_connection_bytes - used.per_connection_items["tmp_table_size"]
        budget = _per_connection_budget(ctx)
        room = int(budget) - others
        if room < work.largest_temp_table_mib * MiB:
            cap = min(cap, max(MiB, room))
            why += (
                f"; capped at {_mib(cap)} by the per-connection budget of {_mib(budget)}, "
                "larger ones go to disk"
            )
    value = int(_clamp(work.largest_temp_table_mib * MiB, MiB, cap)) // MiB * MiB
    why += "."
    decisions: list[Decision] = [
        Setting("tmp_table_size", str(value), why),
        Setting("max_heap_table_size", str(value), why),
    ]
    if "aria_pagecache_buffer_size" in ctx.facts.params:
        decisions.append(_aria_cache(ctx, value))
    if "temptable_max_ram" in ctx.facts.params:
        pool = int(_clamp(ctx.memory * 0.05, 64 * MiB, GiB)) // MiB * MiB
        decisions.append(
            Setting(
                "temptable_max_ram",
                str(pool),
                f"TempTable's shared pool is capped at 5% of class memory ({_mib(pool)}); "
                "beyond it temporary tables spill to disk instead of growing memory "
                f"(the 1 GiB default is {GiB / ctx.memory:.0%} of this class).",
            )
        )
    return decisions


# Aria's page cache (MariaDB) holds the internal temporary tables that outgrow
# tmp_table_size, and the Aria system tables: room for this many of the profile's largest
# temporary tables at once, at least ARIA_CACHE_MIN, at most the engine's 128 MiB default.
ARIA_CACHE_TABLES = 2
ARIA_CACHE_MIN = 16 * MiB


def _aria_cache(ctx: DesignContext, tmp_table: int) -> Decision:
    largest = ctx.profile.workload.largest_temp_table_mib * MiB
    default = int(ctx.effective("aria_pagecache_buffer_size"))
    size = int(_clamp(ARIA_CACHE_TABLES * largest, ARIA_CACHE_MIN, default)) // MiB * MiB
    if size >= default:
        return Keep(
            "aria_pagecache_buffer_size",
            f"the profile's temporary tables ({_mib(largest)} at most) fill the default "
            f"{_mib(default)} Aria page cache.",
        )
    spill = (
        f"those above tmp_table_size ({_mib(tmp_table)}) go to Aria on disk"
        if tmp_table < largest
        else "none outgrows tmp_table_size"
    )
    return Setting(
        "aria_pagecache_buffer_size",
        str(size),
        f"Aria's page cache holds the internal temporary tables that outgrow memory ({spill}) "
        f"and the Aria system tables: {_mib(size)} holds {ARIA_CACHE_TABLES} of the largest "
        f"the profile expects ({_mib(largest)}); the rest of the {_mib(default)} default "
        "goes to the buffer pool.",
    )


def maintenance_memory(ctx: DesignContext) -> list[Decision]:
    """Memory for index builds and vacuum (migrations run online DDL)."""
    if ctx.dialect == "postgres":
        value = int(_clamp(ctx.memory / 16, 64 * MiB, 2 * GiB)) // 1024
        return [
            Setting(
                "maintenance_work_mem",
                str(value),
                f"1/16 of class memory ({_mib(value * 1024)}) so the migration task's CREATE "
                "INDEX and manual VACUUM sort in memory; one such session runs at a time.",
            ),
            Keep(
                "autovacuum_work_mem",
                "the RDS default (1/32 of class memory per worker) already bounds autovacuum.",
            ),
        ]
    value = int(_clamp(ctx.memory / 256, MiB, 64 * MiB)) // MiB * MiB
    return [
        Setting(
            "innodb_sort_buffer_size",
            str(value),
            f"online index builds of the migration task sort in {_mib(value)} runs "
            "(1/256 of class memory, one build at a time) instead of the 1 MiB default.",
        )
    ]


_BY_KIND_BUFFER = {"oltp": 0.75, "mixed": 0.70, "olap": 0.60}
# PostgreSQL reads through the OS page cache: the working set, with 15 % for indexes' upper
# levels and catalogs, is held when shared buffers and the page cache together hold it.
_PG_WORKING_SET_MARGIN = 1.15


def working_set_cache(dialect: str, values: dict[str, str]) -> tuple[str, int]:
    """The memory that holds the working set under `values`: its name and bytes.

    InnoDB reads only through its buffer pool; PostgreSQL through shared buffers and the OS
    page cache together, which `effective_cache_size` (8 KiB pages) tells the planner.
    """
    if dialect == "postgres":
        return "effective_cache_size", int(values["effective_cache_size"]) * 8192
    return "innodb_buffer_pool_size", int(values["innodb_buffer_pool_size"])


def working_set_need(profile: WorkloadProfile) -> int:
    """Bytes of cache the profile's working set needs to stay in memory."""
    need = profile.workload.working_set_gib * GiB
    return int(need * _PG_WORKING_SET_MARGIN if profile.dialect == "postgres" else need)


def _memory_left(ctx: DesignContext, cache: str) -> int:
    """Bytes the cache may take so the worst case stays within the design margin."""
    values = {**ctx.values, cache: "0"}
    rest = memory_budget(ctx.facts, ctx.instance, values, ctx.variables).worst_case_bytes
    return int(ctx.memory * DESIGN_MARGIN) - rest


def buffer_cache(ctx: DesignContext) -> list[Decision]:
    """The buffer pool / shared_buffers from what connections leave, and the cache hint."""
    work = ctx.profile.workload
    if ctx.dialect == "postgres":
        return _shared_buffers(ctx)
    target = _BY_KIND_BUFFER[work.kind] * ctx.memory
    left = _memory_left(ctx, "innodb_buffer_pool_size")
    size = max(128 * MiB, min(target, left))
    decisions: list[Decision] = []
    # MySQL rounds the pool to innodb_buffer_pool_chunk_size (128 MiB) × instances. MariaDB
    # 10.8+ sizes the chunk from the pool itself (innodb_buffer_pool_chunk_size = 0:
    # autosize) and takes the pool in whole MiB: a 128 MiB rounding would leave up to
    # 127 MiB of a small class unused (67 MiB on db.t4g.small).
    chunk = 128 * MiB if "innodb_buffer_pool_instances" in ctx.facts.params else MiB
    if "innodb_buffer_pool_instances" in ctx.facts.params:
        # Below 4 GiB one instance avoids rounding the pool to a multiple of 1 GiB
        # (8 instances × 128 MiB chunks); larger pools split to reduce mutex contention.
        instances = 1 if size < 4 * GiB else int(_clamp(min(ctx.instance.vcpu, size // GiB), 1, 8))
        chunk *= instances
        decisions.append(
            Setting(
                "innodb_buffer_pool_instances",
                str(instances),
                f"{instances} instance(s) for a {_mib(size)} pool on {ctx.instance.vcpu} vCPUs, "
                f"so the pool rounds to {_mib(chunk)} multiples, not the default 8 × 128 MiB.",
            )
        )
    size = max(chunk, int(size) // chunk * chunk)
    fits = "holds" if working_set_need(ctx.profile) <= size else "cannot hold"
    limited = "" if size >= target - 128 * MiB else ", cut to fit the connections' worst case"
    decisions.insert(
        0,
        Setting(
            "innodb_buffer_pool_size",
            str(size),
            f"{size / ctx.memory:.0%} of class memory ({work.kind}{limited}); it {fits} the "
            f"{work.working_set_gib:g} GiB working set of {work.data_size_gib:g} GiB data.",
        ),
    )
    if "innodb_dedicated_server" in ctx.facts.params:
        decisions.append(
            Setting(
                "innodb_dedicated_server",
                "0",
                "the pool and redo are sized here from the profile; dedicated-server "
                "autosizing would ignore the connections' memory.",
            )
        )
    return decisions


def _shared_buffers(ctx: DesignContext) -> list[Decision]:
    work = ctx.profile.workload
    cache_formula = "{DBInstanceClassMemory*3/32768}"
    effective_cache = Setting(
        "effective_cache_size",
        str(evaluate(cache_formula, ctx.variables)),
        "3/4 of class memory: what shared buffers and the OS page cache hold together, "
        "so the planner prices index scans on cached data correctly.",
        formula=cache_formula,
    )
    wanted = working_set_need(ctx.profile)
    _, cached = working_set_cache("postgres", {"effective_cache_size": effective_cache.value})
    left = _memory_left(ctx, "shared_buffers")
    rds = ctx.facts.rds_default("shared_buffers", ctx.variables)
    formula = ctx.facts.spec("shared_buffers").rds_default
    if wanted > cached and rds is not None and isinstance(formula, str):
        quarter = int(rds) * 8192
        if quarter <= left:
            # bench/params, PostgreSQL `larger`: with reads at the volume's cap, select-only
            # ran 2.2x with RDS's quarter against 32 % (session 9); the quarter's cost there,
            # tpcb-like's extra write requests, is what commit_delay halves (session 10, runs
            # M and N; their TPS ratios moved within the noise: docs/parameter-design.md).
            return [
                Setting(
                    "shared_buffers",
                    rds,
                    f"{_mib(quarter)} = {quarter / ctx.memory:.0%} of class memory, RDS's "
                    f"default: the {work.working_set_gib:g} GiB working set (+15%) is larger "
                    f"than shared buffers and the OS page cache hold together "
                    f"({_mib(cached)}), so the page cache serves the misses; PostgreSQL reads "
                    "through it, so the pages in shared buffers are mostly there too, and "
                    "each MiB above RDS's quarter would shrink the cache that serves them.",
                    formula=formula,
                ),
                effective_cache,
            ]
    low = 0.25 * ctx.memory
    high = 0.40 * ctx.memory if work.kind != "olap" else low
    target = _clamp(wanted, low, high)
    size = int(max(128 * MiB, min(target, left))) // (2 * MiB) * (2 * MiB)
    if target <= low:
        reason = "the RDS proportion, leaving the rest to the OS page cache and connections"
    elif wanted <= size:
        reason = f"the {work.working_set_gib:g} GiB working set (+15%) stays in shared buffers"
    else:
        reason = (
            f"as much of the {work.working_set_gib:g} GiB working set as it holds stays in "
            "shared buffers, the rest is read through the OS page cache"
        )
    if size < target - 2 * MiB:
        reason += ", cut to fit the connections' worst case"
    return [
        Setting(
            "shared_buffers",
            str(size // 8192),
            f"{_mib(size)} = {size / ctx.memory:.0%} of class memory: {reason}.",
        ),
        effective_cache,
    ]


# -- I/O and checkpoints ------------------------------------------------------------------


def _write_bytes_per_hour(ctx: DesignContext) -> float:
    work, targets = ctx.profile.workload, ctx.profile.targets
    return targets.throughput_qps * work.write_ratio * WAL_PER_WRITE * 3600


def redo_and_checkpoints(ctx: DesignContext) -> list[Decision]:
    """Redo capacity (MySQL) or max_wal_size (PostgreSQL) from the write volume."""
    profile = ctx.profile
    hourly = _write_bytes_per_hour(ctx)
    free = (profile.storage.size_gib - profile.workload.data_size_gib) * GiB
    cap = int(max(2 * GiB, min(16 * GiB, free / 4)))
    estimate = (
        f"{profile.targets.throughput_qps:g} statements/s × {profile.workload.write_ratio:.0%} "
        f"writes × ~{WAL_PER_WRITE // 1024} KiB"
    )
    if ctx.dialect == "postgres":
        return _wal(ctx, hourly, cap, estimate)
    # Never below RDS's own redo size (MariaDB: a 2 GiB log file), nor below 1 GiB.
    rds_log = 0
    if ctx.facts.key.startswith("mariadb"):
        rds_log = int(ctx.facts.rds_default("innodb_log_file_size", ctx.variables) or 0)
    floor = max(GiB, rds_log)
    size = int(_clamp(hourly, floor, cap)) // MiB * MiB
    why = (
        f"holds about an hour of redo ({estimate} = {_mib(hourly)}/h), at least "
        f"{_mib(floor)} so write bursts do not force synchronous flushing, at most a quarter "
        f"of the free storage ({profile.storage.size_gib} GiB allocated)."
    )
    decisions: list[Decision] = []
    if "innodb_redo_log_capacity" in ctx.facts.params:
        decisions.append(Setting("innodb_redo_log_capacity", str(size), why))
    elif ctx.facts.key.startswith("mysql"):
        why = why.replace("holds about", "two files (innodb_log_files_in_group) hold about")
        decisions.append(Setting("innodb_log_file_size", str(size // 2), why))
    else:
        decisions.append(Setting("innodb_log_file_size", str(size), why))
    if profile.workload.write_ratio >= 0.3 or hourly >= 4 * GiB:
        decisions.append(_log_buffer(ctx))
    return decisions


# The redo log buffer a write-heavy profile gets, and its share of class memory at most:
# it is a global buffer, so on a small class every MiB of it is a MiB less buffer pool.
LOG_BUFFER = 64 * MiB
LOG_BUFFER_SHARE = 1 / 64


def _log_buffer(ctx: DesignContext) -> Decision:
    """innodb_log_buffer_size: 64 MiB for write-heavy profiles, at most 1/64 of class memory."""
    writes = f"{ctx.profile.workload.write_ratio:.0%} writes"
    size = int(min(LOG_BUFFER, ctx.memory * LOG_BUFFER_SHARE)) // MiB * MiB
    default = int(ctx.effective("innodb_log_buffer_size"))
    if size <= default:
        why = (
            f"{writes}: the default {_mib(default)} already holds large transactions' redo."
            if size == LOG_BUFFER
            else f"{writes}, but 1/64 of class memory ({_mib(size)}) is no more than the "
            f"default {_mib(default)}: on this class the memory goes to the buffer pool."
        )
        return Keep("innodb_log_buffer_size", why)
    capped = (
        ""
        if size == LOG_BUFFER
        else ", capped at 1/64 of class memory (the buffer pool gets the rest)"
    )
    return Setting(
        "innodb_log_buffer_size",
        str(size),
        f"{writes}: a {_mib(size)} log buffer{capped} lets large transactions commit "
        "without writing redo to disk mid-transaction.",
    )


# From this share of writes on, WAL is compressed (bench/params: pgbench tpcb-like).
WAL_COMPRESSION_MIN_WRITES = 0.1


def _wal(ctx: DesignContext, hourly: float, cap: int, estimate: str) -> list[Decision]:
    timeout = 900 if ctx.profile.workload.kind != "olap" else 1800
    # Full-page images after each checkpoint roughly double the WAL of one interval.
    per_checkpoint = hourly * timeout / 3600 * 2
    size_mb = int(_clamp(per_checkpoint, 2 * GiB, cap)) // MiB
    decisions: list[Decision] = []
    write_ratio = ctx.profile.workload.write_ratio
    if write_ratio >= WAL_COMPRESSION_MIN_WRITES:
        decisions.append(
            Setting(
                "wal_compression",
                "lz4",
                f"{write_ratio:.0%} writes: the full-page images written after each checkpoint "
                "dominate WAL; lz4 shrinks them for little CPU, and WAL volume is what "
                f"{ctx.profile.storage.type}'s throughput and a Multi-AZ standby must carry.",
            )
        )
    return [
        *decisions,
        Setting(
            "checkpoint_timeout",
            str(timeout),
            f"checkpoints every {timeout // 60} min instead of 5 write fewer full-page "
            "images; crash recovery replays at most that much WAL.",
        ),
        Setting(
            "max_wal_size",
            str(size_mb),
            f"two checkpoint intervals of WAL ({estimate}), at least the RDS 2 GB and at most "
            f"a quarter of the free storage ({ctx.profile.storage.size_gib} GiB allocated), "
            "so checkpoints are timed, not forced by WAL volume.",
        ),
        Setting(
            "min_wal_size",
            str(max(192, size_mb // 4)),
            "a quarter of max_wal_size stays allocated, so WAL segments are recycled "
            "rather than created during bursts.",
        ),
    ]


def io_capacity(ctx: DesignContext) -> list[Decision]:
    """Background flushing (MySQL) or prefetch depth (PostgreSQL) from the storage's IOPS."""
    storage = ctx.profile.storage
    iops = storage.effective_iops
    if ctx.dialect == "postgres":
        depth = 200 if storage.solid_state else 2
        return [
            Setting(
                "effective_io_concurrency",
                str(depth),
                f"{storage.type} is "
                + ("SSD-backed EBS that serves many requests in flight" if depth > 2 else "a disk")
                + f", so bitmap heap scans prefetch {depth} pages ahead.",
            )
        ]
    capacity = int(_clamp(iops // 2, 200, 20000)) // 100 * 100
    decisions: list[Decision] = [
        Setting(
            "innodb_io_capacity",
            str(capacity),
            f"half of the {iops} IOPS {storage.type} sustains goes to background flushing, "
            "the other half stays for the queries' reads.",
        ),
        Setting(
            "innodb_io_capacity_max",
            str(max(capacity, min(iops, 40000))),
            f"flushing may burst to the volume's full {iops} IOPS when redo runs short.",
        ),
    ]
    neighbors = "0" if storage.solid_state else "1"
    decisions.append(
        _set_if_differs(
            ctx,
            "innodb_flush_neighbors",
            neighbors,
            f"{storage.type} has no seek cost, so flushing neighbouring pages only adds writes.",
            "the engine default already matches the storage type.",
        )
    )
    return decisions


def planner_costs(ctx: DesignContext) -> list[Decision]:
    """PostgreSQL's planner costs: random_page_cost stays 4 on EBS; JIT off for short queries."""
    if ctx.dialect != "postgres":
        return []
    storage, work = ctx.profile.storage, ctx.profile.workload
    random_cost = (
        f"{storage.type} serves {storage.effective_iops} IOPS, one random page per I/O, while "
        "sequential reads merge into I/Os of up to 256 KiB (gp3 at baseline: 3,000 random "
        "pages/s against 125 MiB/s = 16,000 sequential pages/s, 5×): a page missing the cache "
        "costs at least the default 4 sequential ones. bench/params measured 1.1 losing on "
        "nippo's mix, where it turns the all-time study-time query into a plain index scan "
        "of scattered heap pages instead of a prefetched bitmap heap scan."
        if storage.solid_state
        else "magnetic storage: the default 4 reflects real seek cost."
    )
    decisions: list[Decision] = [Keep("random_page_cost", random_cost)]
    if work.kind == "olap":
        decisions.append(
            Setting(
                "default_statistics_target",
                "500",
                "analytical queries over skewed data need finer histograms for good join orders.",
            )
        )
    else:
        decisions.append(
            Setting(
                "jit",
                "0",
                f"{work.kind} queries are short: JIT compilation costs more planning time than "
                "it saves, and shows up in the p95.",
            )
        )
    return decisions


def parallelism(ctx: DesignContext) -> list[Decision]:
    """Parallel query workers: for analytics on enough vCPUs only."""
    if ctx.dialect != "postgres":
        return []
    vcpu = ctx.instance.vcpu
    if ctx.profile.workload.kind != "olap" or vcpu < 4:
        return [
            Keep(
                "max_parallel_workers_per_gather",
                f"{ctx.profile.workload.kind} on {vcpu} vCPUs: more parallel workers would take "
                "CPU from concurrent requests.",
            )
        ]
    return [
        Setting(
            "max_parallel_workers_per_gather",
            str(min(vcpu // 2, 8)),
            f"analytical scans use half of the {vcpu} vCPUs in parallel.",
        ),
        Setting(
            "max_parallel_maintenance_workers",
            str(min(vcpu // 2, 4)),
            f"index builds use up to half of the {vcpu} vCPUs.",
        ),
    ]


# -- durability, observability, security, locale ---------------------------------------


# How long a committing backend waits for others to join its WAL flush (PostgreSQL's
# commit_delay, in microseconds); how many other open transactions it takes is
# commit_siblings, left at the engine table's default. bench/params, PostgreSQL `larger`,
# pgbench tpcb-like (session 10, runs M and N): 0.52-0.54 write requests per transaction,
# 1.02-1.10 without.
COMMIT_DELAY_US = 1000


def _wait_share(ctx: DesignContext) -> str:
    """The group commit wait as a share of the p95 target, as the rationales put it."""
    p95 = ctx.profile.targets.p95_latency_ms
    return f"{COMMIT_DELAY_US / 1000 / p95:.1%} of the {p95:g} ms p95 target"


def _no_group_commit(ctx: DesignContext, count: int, what: str) -> str | None:
    """Why a group commit wait would not pay (too few sessions, or too long), or None."""
    peak = ctx.profile.connections.peak_concurrent
    p95 = ctx.profile.targets.p95_latency_ms
    if peak <= count:
        return (
            f"{peak} concurrent sessions at peak: {what} rarely has {count} other "
            "transactions to wait for, so a wait would only add latency."
        )
    if COMMIT_DELAY_US / 1000 / p95 > 0.01:
        return f"a {COMMIT_DELAY_US} µs wait is more than 1% of the {p95:g} ms p95 target."
    return None


def _group_commit(ctx: DesignContext) -> list[Decision]:
    """commit_delay where enough sessions commit at once for several to share one flush."""
    peak = ctx.profile.connections.peak_concurrent
    siblings = int(ctx.effective("commit_siblings"))
    storage = ctx.profile.storage
    why_not = _no_group_commit(ctx, siblings, "a flush")
    if why_not is not None:
        return [Keep("commit_delay", why_not)]
    return [
        Setting(
            "commit_delay",
            str(COMMIT_DELAY_US),
            f"strict durability flushes WAL at every commit, and on {storage.type} each flush "
            f"is a write I/O against the volume's {storage.effective_iops} IOPS and a network "
            f"round trip; with {peak} sessions at peak, a committing backend that sees at "
            f"least {siblings} other open transactions (commit_siblings) waits "
            f"{COMMIT_DELAY_US // 1000} ms so the commits ready by then share one flush "
            f"({_wait_share(ctx)}).",
        )
    ]


# How many commits end the binary log's group commit wait early (MySQL's
# binlog_group_commit_sync_no_delay_count, MariaDB's binlog_commit_wait_count): the same
# number of other sessions PostgreSQL's commit_siblings asks for before it waits.
BINLOG_GROUP_COMMIT_COUNT = 5


def _binlog_group_commit(ctx: DesignContext) -> list[Decision]:
    """The binlog's group commit wait, where enough sessions commit at once to share a sync.

    RDS keeps a binary log whenever automated backups are on, and sync_binlog = 1 syncs it
    at every commit group, beside the redo log's flush: the same case as PostgreSQL's
    commit_delay, with the same wait.
    """
    peak = ctx.profile.connections.peak_concurrent
    count = BINLOG_GROUP_COMMIT_COUNT
    mariadb = "binlog_commit_wait_count" in ctx.facts.params
    names = (
        ("binlog_commit_wait_count", "binlog_commit_wait_usec")
        if mariadb
        else ("binlog_group_commit_sync_no_delay_count", "binlog_group_commit_sync_delay")
    )
    why_not = _no_group_commit(ctx, count, "a binlog sync")
    if why_not is not None:
        return [Keep(name, why_not) for name in names]
    storage = ctx.profile.storage
    why = (
        f"RDS keeps a binary log while automated backups are on, and sync_binlog = 1 syncs it "
        f"for every commit group: on {storage.type} each sync is a write I/O against the "
        f"volume's {storage.effective_iops} IOPS and a network round trip. With {peak} "
        f"sessions at peak, a commit waits up to {COMMIT_DELAY_US // 1000} ms, or until "
        f"{count} commits are ready, so they share one sync "
        f"({_wait_share(ctx)})."
    )
    count_name, wait_name = names
    return [Setting(count_name, str(count), why), Setting(wait_name, str(COMMIT_DELAY_US), why)]


def durability(ctx: DesignContext) -> list[Decision]:
    """Strict unless the profile relaxes it; the risk of relaxing is named."""
    strict = ctx.profile.durability == "strict"
    if ctx.dialect == "postgres":
        if strict:
            return [
                Setting(
                    "synchronous_commit",
                    "on",
                    "durability is strict: a commit returns only once its WAL is on disk.",
                ),
                *_group_commit(ctx),
            ]
        return [
            Setting(
                "synchronous_commit",
                "off",
                "durability relaxed by the profile: RISK: a crash loses up to ~600 ms "
                "(3 × wal_writer_delay) of acknowledged commits; data stays consistent.",
            )
        ]
    if strict:
        why = "durability is strict: every commit is flushed to the redo log and the binlog."
        return [
            Setting("innodb_flush_log_at_trx_commit", "1", why),
            Setting("sync_binlog", "1", why),
            *_binlog_group_commit(ctx),
        ]
    risk = (
        "durability relaxed by the profile: RISK: an OS crash or failover loses about the "
        "last second of acknowledged commits"
    )
    return [
        Setting("innodb_flush_log_at_trx_commit", "2", risk + "."),
        Setting(
            "sync_binlog",
            "1000",
            risk + ", and point-in-time recovery may miss up to 1000 binlog groups.",
        ),
    ]


def observability(ctx: DesignContext) -> list[Decision]:
    """Slow-query logging from the latency target, to files CloudWatch can read."""
    p95 = ctx.profile.targets.p95_latency_ms
    threshold_ms = max(10, int(p95 / 2))
    why_threshold = (
        f"a statement taking half of the {p95:g} ms p95 request budget ({threshold_ms} ms) "
        "is worth seeing."
    )
    if ctx.dialect == "postgres":
        work = ctx.profile.workload
        return [
            Setting("log_min_duration_statement", str(threshold_ms), why_threshold),
            Setting(
                "shared_preload_libraries",
                "pg_stat_statements",
                "pg_stat_statements aggregates every statement's time and calls; the design "
                "pins it so a custom group cannot lose it.",
            ),
            Setting(
                "log_lock_waits",
                "1",
                "lock waits longer than deadlock_timeout (1 s) are logged: migrations and hot "
                "rows show up before they become timeouts.",
            ),
            Setting(
                "log_temp_files",
                str(int(max(work.largest_sort_mib, 1) * 1024)),
                f"a temporary file larger than the profile's largest sort "
                f"({work.largest_sort_mib:g} MiB) means a query outgrew the profile.",
            ),
        ]
    qps = ctx.profile.targets.throughput_qps
    return [
        Setting(
            "slow_query_log",
            "1",
            f"statements slower than long_query_time ({threshold_ms} ms, half the p95 "
            "budget) are logged with their rows examined and lock time.",
        ),
        Setting("long_query_time", f"{threshold_ms / 1000:g}", why_threshold),
        Setting(
            "log_output",
            "FILE",
            "RDS publishes log files, not tables, to CloudWatch Logs; TABLE also adds "
            "write load to the database itself.",
        ),
        Setting(
            "general_log",
            "0",
            f"the general log writes every statement (~{qps:g}/s at peak): storage, CloudWatch "
            "cost and latency; turn it on briefly only to debug.",
        ),
    ]


def log_retention(ctx: DesignContext) -> list[Decision]:
    """How long RDS keeps the database's own log files."""
    days = ctx.profile.log_retention_days
    if ctx.dialect != "postgres":
        ctx.notes.append(
            f"log retention ({days} days) for MySQL/MariaDB is the CloudWatch log group's "
            "retention (set by the infrastructure stack); RDS itself keeps files 2 weeks."
        )
        return []
    minutes = int(_clamp(days * 1440, 1440, 10080))
    if days * 1440 > 10080:
        ctx.notes.append(
            f"log retention of {days} days exceeds RDS's 7-day maximum: the CloudWatch log "
            "group keeps the rest (set by the infrastructure stack)."
        )
    return [
        Setting(
            "rds.log_retention_period",
            str(minutes),
            f"the profile keeps logs {days} days; RDS keeps at most 7 on the instance.",
        )
    ]


def security(ctx: DesignContext) -> list[Decision]:
    """TLS required for every connection."""
    name = "rds.force_ssl" if ctx.dialect == "postgres" else "require_secure_transport"
    return [
        Setting(
            name,
            "1",
            "credentials and report data cross the VPC from the Fargate tasks: "
            "connections without TLS are refused.",
        )
    ]


_COLLATION = {
    "mysql8.0": "utf8mb4_0900_ai_ci",
    "mysql8.4": "utf8mb4_0900_ai_ci",
    "mariadb10.11": "utf8mb4_unicode_ci",
}


def locale(ctx: DesignContext) -> list[Decision]:
    """utf8mb4 everywhere and the profile's time zone."""
    zone = ctx.profile.time_zone
    zone_name = "timezone" if ctx.dialect == "postgres" else "time_zone"
    decisions: list[Decision] = [
        _set_if_differs(
            ctx,
            zone_name,
            zone,
            f"NOW() and date boundaries (study time today/this week) follow {zone}.",
            "the profile's time zone is UTC, the RDS default.",
        )
    ]
    if ctx.dialect == "postgres":
        return decisions
    collation = _COLLATION[ctx.facts.key]
    return [
        Setting(
            "character_set_server",
            "utf8mb4",
            "full Unicode (Japanese text, emoji) in every new table by default.",
        ),
        Setting("collation_server", collation, f"the {ctx.facts.key} utf8mb4 collation."),
        *decisions,
    ]


def autovacuum(ctx: DesignContext) -> list[Decision]:
    """Autovacuum on, and more eager for write-heavy or large data."""
    if ctx.dialect != "postgres":
        return []
    work = ctx.profile.workload
    decisions: list[Decision] = [
        Setting(
            "autovacuum",
            "1",
            "dead rows from updates must be reclaimed and statistics kept fresh; "
            "pinned on so no one turns it off.",
        )
    ]
    if work.write_ratio >= 0.2 or work.data_size_gib >= 10:
        cause = (
            f"{work.write_ratio:.0%} writes"
            if work.write_ratio >= 0.2
            else f"{work.data_size_gib:g} GiB of data"
        )
        decisions += [
            Setting(
                "autovacuum_vacuum_scale_factor",
                "0.05",
                f"{cause}: vacuum after 5% of a table changes, before bloat slows scans.",
            ),
            Keep(
                "autovacuum_analyze_scale_factor",
                "each ANALYZE reads 30,000 rows at random whatever changed, so a lower "
                "threshold re-reads a large, busy table every few seconds (0.02 measured: "
                "ANALYZE 35-60% of the time, nippo's mix -23%); values past the histogram "
                "come from the index.",
            ),
        ]
    if work.write_ratio >= 0.3:
        decisions.append(
            Setting(
                "autovacuum_vacuum_cost_limit",
                "1000",
                f"{work.write_ratio:.0%} writes: vacuum may do 5× the default I/O per round to "
                f"keep up; the {ctx.profile.storage.effective_iops} IOPS volume has room.",
            )
        )
    return decisions


RULES: tuple[Rule, ...] = (
    connections,
    sort_and_join_memory,
    temp_tables,
    maintenance_memory,
    redo_and_checkpoints,  # before the buffer cache: the redo log buffer is global memory
    buffer_cache,
    io_capacity,
    planner_costs,
    parallelism,
    durability,
    observability,
    log_retention,
    security,
    locale,
    autovacuum,
)

# Parameters left at their default, with the reason, unless a rule sets them.
LEFT_AT_DEFAULT = {
    "mysql": {
        "table_open_cache": "the default holds thousands of open tables, far above the schema.",
        "read_buffer_size": "used by full scans only; raising it costs every connection.",
        "read_rnd_buffer_size": "used after sorts only; raising it costs every connection.",
        "thread_stack": "the engine default is what RDS tests with.",
        "innodb_read_io_threads": "4 reader threads keep EBS busy on these vCPU counts.",
        "innodb_write_io_threads": "4 writer threads keep EBS busy on these vCPU counts.",
        "wait_timeout": "the application pool recycles connections itself.",
        "log_queries_not_using_indexes": "noisy on small tables; the slow log catches cost.",
        "performance_schema": "the RDS default keeps Performance Insights working.",
    },
    "postgres": {
        "wal_buffers": "auto-sized to 3% of shared_buffers, at most 16 MB.",
        "huge_pages": "RDS turns huge pages on for classes above medium.",
        "max_worker_processes": "the RDS default, GREATEST(2 × vCPU, 8), suffices.",
        "autovacuum_max_workers": "the RDS default (3 up to 64 GiB) keeps up with the tables.",
        "checkpoint_completion_target": "already 0.9: checkpoints spread over the interval.",
        "hash_mem_multiplier": "the default 2 lets hashes use twice work_mem, counted above.",
        "wal_compression": "read-mostly: little WAL to compress, so it would only cost CPU.",
        "pg_stat_statements.track": "top-level statements are what the application sends.",
    },
}


__all__ = [
    "LEFT_AT_DEFAULT",
    "RULES",
    "Decision",
    "DesignContext",
    "Keep",
    "Rule",
    "Setting",
    "connection_limit",
]
