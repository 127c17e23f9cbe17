"""The baselines a design is compared with: RDS's defaults for a class, and the engine's own.

`rds_default_values` evaluates the RDS default formulas of the engine table for
one instance class (DBInstanceClassMemory from the catalog's model);
`engine_default_values` is what a freshly installed server runs with.
"""

from __future__ import annotations

from dbtier.params.catalog import GiB, instance_class
from dbtier.params.engines import engine_facts
from dbtier.params.formula import instance_variables


def rds_variables(
    engine: str, class_name: str, *, allocated_storage_gib: int = 20
) -> dict[str, int]:
    """The RDS formula variables of `class_name` running `engine`."""
    facts = engine_facts(engine)
    instance = instance_class(class_name)
    return instance_variables(
        class_memory_bytes=instance.class_memory_bytes,
        vcpu=instance.vcpu,
        allocated_storage_bytes=allocated_storage_gib * GiB,
        port=facts.port,
        huge_pages_default=instance.huge_pages_default,
    )


def rds_default_values(
    engine: str, instance_class: str, *, allocated_storage_gib: int = 20
) -> dict[str, str]:
    """RDS's default values on `instance_class`, for the parameters RDS sets for performance.

    Values are in the RDS units of the engine table (e.g. shared_buffers in 8kB pages).
    """
    facts = engine_facts(engine)
    variables = rds_variables(engine, instance_class, allocated_storage_gib=allocated_storage_gib)
    values: dict[str, str] = {}
    for name in facts.params:
        value = facts.rds_default(name, variables)
        if value is not None:
            values[name] = value
    return values


def engine_default_values(engine: str) -> dict[str, str]:
    """The engine's compiled-in defaults for the parameters dbtier knows (RDS units)."""
    facts = engine_facts(engine)
    return {
        name: spec.engine_default
        for name, spec in facts.params.items()
        if spec.engine_default is not None and not spec.rds_only
    }


__all__ = ["engine_default_values", "rds_default_values", "rds_variables"]
