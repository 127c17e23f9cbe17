"""PGTune, re-implemented faithfully, for `dbtier params diff --against pgtune` and the benchmark.

The formulas are PGTune's (le0pard/pgtune, `configurationSlice.js`, 2026 version
with the database-size input), for Linux. All arithmetic is in kB with integer
floor, as PGTune does. PGTune's inputs are taken from the profile as a person
would type them: total RAM is the class's nominal memory, CPUs its vCPUs,
connections dbtier's own max_connections (the same input both tools get),
storage gp2/gp3 → ssd, io1/io2 → san, magnetic → hdd, and the workload kind
oltp → oltp, olap → dw, mixed → mixed. The database size is "less than RAM" when
the data fits the nominal memory, "much greater" beyond 4× it, else "around RAM".

Output values are in the RDS units of `dbtier.params.engines` (8kB pages for
shared_buffers, effective_cache_size and wal_buffers, kB for *_work_mem, MB for
WAL sizes), so they compare with a design and render with `to_conf`; converting
PGTune's kB to 8kB pages floors at most 7 kB.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from dbtier.errors import UsageError
from dbtier.params.profile import WorkloadProfile
from dbtier.params.rules import connection_limit

DbType = Literal["web", "oltp", "dw", "desktop", "mixed"]
HdType = Literal["ssd", "hdd", "san", "nvme"]
DbSize = Literal["less_ram", "mid_ram", "greater_ram"]

KB_PER_MB = 1024
KB_PER_GB = 1024 * 1024


@dataclass(frozen=True)
class PgtuneInputs:
    """What a person enters in PGTune's form (OS fixed to Linux)."""

    db_version: int
    total_memory_kb: int
    cpus: int | None
    connections: int | None
    hd_type: HdType
    db_type: DbType
    db_size: DbSize = "mid_ram"


_DEFAULT_CONNECTIONS = {"web": 200, "oltp": 300, "dw": 40, "desktop": 20, "mixed": 100}
_WAL = {  # (min_wal_size, max_wal_size) in MB
    "web": (1024, 4096),
    "oltp": (2048, 8192),
    "dw": (4096, 16384),
    "desktop": (100, 2048),
    "mixed": (1024, 4096),
}
_WORK_MEM_DIVISOR = {"web": 1, "oltp": 1, "dw": 2, "desktop": 6, "mixed": 2}
_IO_CONCURRENCY = {"hdd": 2, "ssd": 200, "san": 300, "nvme": 1000}


def _shared_buffers_kb(i: PgtuneInputs) -> int:
    return i.total_memory_kb // (16 if i.db_type == "desktop" else 4)


def _maintenance_kb(i: PgtuneInputs) -> int:
    value = i.total_memory_kb // (8 if i.db_type == "dw" else 16)
    return min(value, 8 * KB_PER_GB)


def _wal_buffers_kb(shared_kb: int) -> int:
    value = min(3 * shared_kb // 100, 16 * KB_PER_MB)
    if 14 * KB_PER_MB < value < 16 * KB_PER_MB:
        value = 16 * KB_PER_MB
    return max(value, 32)


def _parallel(i: PgtuneInputs) -> dict[str, int]:
    if not i.cpus or i.cpus < 4:
        return {}
    per_gather = math.ceil(i.cpus / 2)
    if i.db_type != "dw":
        per_gather = min(per_gather, 4)
    settings = {"max_worker_processes": i.cpus, "max_parallel_workers_per_gather": per_gather}
    if i.db_version >= 10:
        settings["max_parallel_workers"] = i.cpus
    if i.db_version >= 11:
        settings["max_parallel_maintenance_workers"] = min(math.ceil(i.cpus / 2), 4)
    return settings


def _work_mem_kb(i: PgtuneInputs, shared_kb: int, connections: int) -> int:
    workers = _parallel(i).get("max_worker_processes", 8)
    raw = (i.total_memory_kb - shared_kb) / ((connections + workers) * 3)
    value = math.floor(raw / _WORK_MEM_DIVISOR[i.db_type])
    if i.db_size == "less_ram":
        value = math.floor(value * 1.3)
    elif i.db_size == "greater_ram":
        value = math.floor(value * 0.9)
    return max(value, 4 * KB_PER_MB)


def _random_page_cost(i: PgtuneInputs) -> str:
    if i.db_size == "less_ram":
        return "1.1"
    if i.hd_type == "hdd" or i.db_type == "dw":
        return "4"
    return "1.1"


def pgtune_values(i: PgtuneInputs) -> dict[str, str]:
    """PGTune's output for these inputs, in RDS units (see the module docstring)."""
    connections = i.connections or _DEFAULT_CONNECTIONS[i.db_type]
    shared_kb = _shared_buffers_kb(i)
    cache_kb = i.total_memory_kb * (1 if i.db_type == "desktop" else 3) // 4
    maintenance_kb = _maintenance_kb(i)
    min_wal, max_wal = _WAL[i.db_type]
    out: dict[str, str] = {
        "max_connections": str(connections),
        "shared_buffers": str(shared_kb // 8),
        "effective_cache_size": str(cache_kb // 8),
        "maintenance_work_mem": str(maintenance_kb),
        "checkpoint_completion_target": "0.9",
        "wal_buffers": str(_wal_buffers_kb(shared_kb) // 8),
        "default_statistics_target": "500" if i.db_type == "dw" else "100",
        "random_page_cost": _random_page_cost(i),
        "effective_io_concurrency": str(_IO_CONCURRENCY[i.hd_type]),
        "work_mem": str(_work_mem_kb(i, shared_kb, connections)),
        "huge_pages": "try" if shared_kb >= 2 * KB_PER_GB else "off",
        "min_wal_size": str(min_wal),
        "max_wal_size": str(max_wal),
    }
    out.update({name: str(value) for name, value in _parallel(i).items()})
    if i.db_version >= 12 and i.db_type in ("web", "oltp", "mixed"):
        out["jit"] = "0"
    if i.db_version >= 10:
        out["wal_compression"] = "lz4" if i.db_version >= 15 else "on"
    if i.cpus and i.cpus >= 16:
        out["autovacuum_max_workers"] = "5" if i.cpus >= 32 else "4"
    if maintenance_kb >= 2 * KB_PER_GB:
        out["autovacuum_work_mem"] = str(2 * KB_PER_GB)
    return out


def pgtune_inputs(profile: WorkloadProfile) -> PgtuneInputs:
    """The PGTune form as a person would fill it in for this profile."""
    if profile.dialect != "postgres":
        raise UsageError(
            f"engine: PGTune covers PostgreSQL only, not {profile.engine}; "
            "compare with --against rds-default or engine-default"
        )
    instance = profile.instance
    data, ram = profile.workload.data_size_gib, instance.memory_gib
    size: DbSize = "less_ram" if data < ram else "greater_ram" if data > 4 * ram else "mid_ram"
    storage = profile.storage.type
    hd: HdType = "hdd" if storage == "magnetic" else "san" if storage in ("io1", "io2") else "ssd"
    kind = profile.workload.kind
    db_type: DbType = "dw" if kind == "olap" else kind
    return PgtuneInputs(
        db_version=int(profile.engine.removeprefix("postgres")),
        total_memory_kb=ram * KB_PER_GB,
        cpus=instance.vcpu,
        connections=connection_limit(profile),
        hd_type=hd,
        db_type=db_type,
        db_size=size,
    )


def pgtune(profile: WorkloadProfile) -> dict[str, str]:
    """PGTune's recommendation for the profile (PostgreSQL), in RDS units."""
    return pgtune_values(pgtune_inputs(profile))


__all__ = ["PgtuneInputs", "pgtune", "pgtune_inputs", "pgtune_values"]
