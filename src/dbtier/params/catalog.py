"""RDS instance classes (vCPU, memory) and the model of DBInstanceClassMemory.

RDS parameter formulas do not see the nominal memory of a class: they see
`DBInstanceClassMemory`, what is left for the database process once the OS and
the RDS management agents have taken their share. AWS does not publish it per
class, so dbtier models it from observed values:

    DBInstanceClassMemory = nominal − reserve(nominal)

    reserve(≤ 8 GiB)  from observed RDS MySQL max_connections defaults
                      ({DBInstanceClassMemory/12582880}): 1 GiB → 66, 2 GiB → 150,
                      4 GiB → 312, 8 GiB → 648 give reserves of 226, 242, 346, 410 MiB
    reserve(> 8 GiB)  4 % of nominal (db.t4g.xlarge on PostgreSQL 16: observed
                      max_connections 1727 → reserve ≈ 680 MiB; the model gives 655)

The model is checked against those observations in the tests. It is accurate to
about ±5 % for PostgreSQL on the smallest classes (db.t3.micro: observed 81
connections, the model gives 87), which the memory check's 90 % limit absorbs.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from dbtier.errors import ProfileError

MiB = 1024 * 1024
GiB = 1024 * MiB

# Nominal GiB → reserved MiB, calibrated on RDS MySQL max_connections defaults.
_OBSERVED_RESERVE_MIB = {1: 226, 2: 242, 4: 346, 8: 410}
_RESERVE_FRACTION_ABOVE_8_GIB = 0.04

# size → (vCPU, GiB) for burstable classes, and vCPU per size for m/r classes.
_BURSTABLE_SIZES = {
    "micro": (2, 1),
    "small": (2, 2),
    "medium": (2, 4),
    "large": (2, 8),
    "xlarge": (4, 16),
    "2xlarge": (8, 32),
}
_STANDARD_VCPU = {
    "large": 2,
    "xlarge": 4,
    "2xlarge": 8,
    "4xlarge": 16,
    "8xlarge": 32,
    "12xlarge": 48,
    "16xlarge": 64,
}
_GIB_PER_VCPU = {"m": 4, "r": 8}
_STANDARD_FAMILIES = ("m5", "m6g", "m6i", "m7g", "r5", "r6g", "r6i", "r7g")
_BURSTABLE_FAMILIES = ("t3", "t4g")


@dataclass(frozen=True)
class InstanceClass:
    """One RDS DB instance class: its name, vCPU count and nominal memory."""

    name: str
    vcpu: int
    memory_gib: int

    @property
    def memory_bytes(self) -> int:
        """Nominal memory in bytes."""
        return self.memory_gib * GiB

    @property
    def class_memory_bytes(self) -> int:
        """DBInstanceClassMemory: the bytes RDS formulas see (see the module docstring)."""
        return db_instance_class_memory(self.memory_gib)

    @property
    def burstable(self) -> bool:
        """True for t3/t4g, whose CPU credits make sustained load unpredictable."""
        return self.name.startswith("db.t")

    @property
    def size(self) -> str:
        """The size part of the name: micro, large, 2xlarge..."""
        return self.name.rsplit(".", 1)[-1]

    @property
    def family(self) -> str:
        """The name without its size: db.t4g, db.r7g..."""
        return self.name.rsplit(".", 1)[0]

    @property
    def huge_pages_default(self) -> bool:
        """Whether RDS for PostgreSQL maps shared memory in huge pages on this class.

        It does above the medium sizes (DBInstanceClassHugePagesDefault).
        """
        return self.size not in ("micro", "small", "medium")


def db_instance_class_memory(memory_gib: int) -> int:
    """DBInstanceClassMemory in bytes for a class of `memory_gib` nominal GiB."""
    if memory_gib in _OBSERVED_RESERVE_MIB:
        reserve = _OBSERVED_RESERVE_MIB[memory_gib] * MiB
    else:
        reserve = int(memory_gib * GiB * _RESERVE_FRACTION_ABOVE_8_GIB)
    return memory_gib * GiB - reserve


def _build_catalog() -> dict[str, InstanceClass]:
    catalog: dict[str, InstanceClass] = {}
    for family in _BURSTABLE_FAMILIES:
        for size, (vcpu, gib) in _BURSTABLE_SIZES.items():
            name = f"db.{family}.{size}"
            catalog[name] = InstanceClass(name, vcpu, gib)
    for family in _STANDARD_FAMILIES:
        for size, vcpu in _STANDARD_VCPU.items():
            name = f"db.{family}.{size}"
            catalog[name] = InstanceClass(name, vcpu, vcpu * _GIB_PER_VCPU[family[0]])
    return catalog


CATALOG: dict[str, InstanceClass] = _build_catalog()


def instance_class(name: str) -> InstanceClass:
    """The class named `name` (e.g. 'db.t4g.medium'); ProfileError naming near matches."""
    try:
        return CATALOG[name]
    except KeyError:
        near = difflib.get_close_matches(name, CATALOG, n=3)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise ProfileError(
            f"instance_class: unknown RDS instance class {name!r}{hint} "
            f"(known families: {', '.join(_BURSTABLE_FAMILIES + _STANDARD_FAMILIES)})"
        ) from None


__all__ = ["CATALOG", "GiB", "InstanceClass", "MiB", "db_instance_class_memory", "instance_class"]
