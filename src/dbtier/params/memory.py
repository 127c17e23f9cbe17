"""The memory-safety check: the worst case a parameter group allows, against the instance.

    worst case = global buffers + per-connection buffers × max_connections
                 (+ autovacuum workers × their memory on PostgreSQL)
                 + the server process itself

is compared with DBInstanceClassMemory, the memory RDS gives the database. Above
90 % the design is refused (RDS itself marks an instance `incompatible-parameters`
when PostgreSQL's shared memory needs more than 90 %; MySQLTuner warns at 85 %).

Unset parameters count at the value the instance would run with: the RDS default
for the class, else the engine's. The worst case assumes every connection runs
one sort/join/hash at its full buffer at the same moment (PostgreSQL: one
`work_mem × hash_mem_multiplier` node per connection), the same convention as
MySQLTuner's "maximum possible memory usage".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dbtier.errors import DesignError
from dbtier.params.catalog import InstanceClass, MiB
from dbtier.params.engines import EngineFacts

LIMIT_FRACTION = 0.90
# Memory of the server process outside the named buffers: data dictionary,
# performance_schema, catalog caches. A documented estimate, not a measurement.
SERVER_OVERHEAD_FRACTION = 0.05
SERVER_OVERHEAD_CAP = 256 * MiB
# A PostgreSQL backend's private memory besides work_mem (catalog and plan caches).
PG_BACKEND_OVERHEAD = 2 * MiB


@dataclass(frozen=True)
class MemoryBudget:
    """The worst case of one design on one instance class, itemised."""

    instance_class: str
    nominal_bytes: int
    class_memory_bytes: int
    max_connections: int
    global_items: dict[str, int]
    per_connection_items: dict[str, int]
    autovacuum_workers: int = 0
    per_worker_items: dict[str, int] = field(default_factory=dict)
    limit_fraction: float = LIMIT_FRACTION

    @property
    def global_bytes(self) -> int:
        """Memory allocated once, whatever the number of connections."""
        return sum(self.global_items.values())

    @property
    def per_connection_bytes(self) -> int:
        """Memory one busy connection can take."""
        return sum(self.per_connection_items.values())

    @property
    def worker_bytes(self) -> int:
        """Memory of all autovacuum workers at once (PostgreSQL)."""
        return self.autovacuum_workers * sum(self.per_worker_items.values())

    @property
    def worst_case_bytes(self) -> int:
        """Global + per-connection × max_connections + workers."""
        connections = self.per_connection_bytes * self.max_connections
        return self.global_bytes + connections + self.worker_bytes

    @property
    def fraction(self) -> float:
        """Worst case as a fraction of DBInstanceClassMemory."""
        return self.worst_case_bytes / self.class_memory_bytes

    @property
    def ok(self) -> bool:
        """True when the worst case stays within the limit."""
        return self.fraction <= self.limit_fraction

    def as_dict(self) -> dict[str, Any]:
        """The budget as data (the `memory` object of the JSON output)."""
        return {
            "instance_class": self.instance_class,
            "nominal_bytes": self.nominal_bytes,
            "class_memory_bytes": self.class_memory_bytes,
            "max_connections": self.max_connections,
            "global_bytes": self.global_bytes,
            "global": dict(self.global_items),
            "per_connection_bytes": self.per_connection_bytes,
            "per_connection": dict(self.per_connection_items),
            "autovacuum_workers": self.autovacuum_workers,
            "per_autovacuum_worker": dict(self.per_worker_items),
            "worst_case_bytes": self.worst_case_bytes,
            "fraction": round(self.fraction, 4),
            "limit_fraction": self.limit_fraction,
        }


def server_overhead(class_memory_bytes: int) -> int:
    """Estimated memory of the server process outside its named buffers."""
    return min(SERVER_OVERHEAD_CAP, int(class_memory_bytes * SERVER_OVERHEAD_FRACTION))


def _value(
    facts: EngineFacts, values: Mapping[str, str], name: str, variables: Mapping[str, int]
) -> str:
    value = values.get(name) or facts.default(name, variables)
    if value is None:
        raise DesignError(f"memory check: no value nor default known for {name}")
    return value


def _bytes(
    facts: EngineFacts, values: Mapping[str, str], name: str, variables: Mapping[str, int]
) -> int:
    return facts.spec(name).to_bytes(_value(facts, values, name, variables))


def memory_budget(
    facts: EngineFacts,
    instance: InstanceClass,
    values: Mapping[str, str],
    variables: Mapping[str, int],
) -> MemoryBudget:
    """Itemise the worst case of `values` (unset parameters at their defaults)."""
    global_items: dict[str, int] = {}
    per_connection: dict[str, int] = {}
    per_worker: dict[str, int] = {}
    for name, spec in facts.params.items():
        if spec.memory == "global":
            global_items[name] = _bytes(facts, values, name, variables)
        elif spec.memory == "per_connection":
            per_connection[name] = _bytes(facts, values, name, variables)
    workers = 0
    if facts.dialect == "postgres":
        multiplier = float(_value(facts, values, "hash_mem_multiplier", variables))
        per_connection["work_mem"] = int(per_connection["work_mem"] * multiplier)
        per_connection["backend process"] = PG_BACKEND_OVERHEAD
        shared = global_items["shared_buffers"]
        wal = int(_value(facts, values, "wal_buffers", variables))
        global_items["wal_buffers"] = min(shared * 3 // 100, 16 * MiB) if wal == -1 else wal * 8192
        workers = int(_value(facts, values, "autovacuum_max_workers", variables))
        autovacuum = int(_value(facts, values, "autovacuum_work_mem", variables))
        per_worker["autovacuum_work_mem"] = (
            global_items["maintenance_work_mem"] if autovacuum == -1 else autovacuum * 1024
        )
    global_items["server process"] = server_overhead(instance.class_memory_bytes)
    return MemoryBudget(
        instance_class=instance.name,
        nominal_bytes=instance.memory_bytes,
        class_memory_bytes=instance.class_memory_bytes,
        max_connections=int(_value(facts, values, "max_connections", variables)),
        global_items=global_items,
        per_connection_items=per_connection,
        autovacuum_workers=workers,
        per_worker_items=per_worker,
    )


def mib(value: int) -> str:
    """Bytes as a short human figure (MiB or GiB)."""
    if value >= 1024 * MiB:
        return f"{value / (1024 * MiB):.2f} GiB"
    if value < MiB:
        return f"{value / 1024:.0f} KiB"
    return f"{value / MiB:.1f} MiB"


def check_memory(budget: MemoryBudget) -> None:
    """Raise DesignError naming the parameters to change when the worst case is over 90 %."""
    if budget.ok:
        return
    per_conn = sorted(budget.per_connection_items.items(), key=lambda item: -item[1])
    per_conn_text = ", ".join(f"{name} {mib(size)}" for name, size in per_conn)
    globals_ = sorted(budget.global_items.items(), key=lambda item: -item[1])[:3]
    global_text = ", ".join(f"{name} {mib(size)}" for name, size in globals_)
    raise DesignError(
        f"memory check failed on {budget.instance_class}: the worst case "
        f"{mib(budget.worst_case_bytes)} is {budget.fraction:.0%} of DBInstanceClassMemory "
        f"{mib(budget.class_memory_bytes)} (limit {budget.limit_fraction:.0%}). "
        f"max_connections {budget.max_connections} × {mib(budget.per_connection_bytes)} "
        f"per connection ({per_conn_text}) = "
        f"{mib(budget.per_connection_bytes * budget.max_connections)}; global buffers "
        f"{mib(budget.global_bytes)} ({global_text}). Lower max_connections (fewer pool "
        "connections per task or fewer tasks, or a proxy such as RDS Proxy), shrink the "
        "per-connection buffers, or choose an instance class with more memory."
    )


__all__ = [
    "LIMIT_FRACTION",
    "MemoryBudget",
    "check_memory",
    "memory_budget",
    "mib",
    "server_overhead",
]
