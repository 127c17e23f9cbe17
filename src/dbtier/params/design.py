"""`design(profile)`: run the rules, check every value, check memory, return the design.

A parameter leaves this module only if its name is a known parameter of the
engine, its value is in range, and the whole group passes the memory check;
otherwise DesignError says which and why. Nothing half-checked is ever rendered.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from dbtier.errors import DesignError
from dbtier.params.catalog import CATALOG, GiB, InstanceClass
from dbtier.params.engines import EngineFacts, engine_facts
from dbtier.params.formula import instance_variables
from dbtier.params.memory import MemoryBudget, check_memory, memory_budget, mib
from dbtier.params.profile import WorkloadProfile
from dbtier.params.rules import (
    LEFT_AT_DEFAULT,
    RULES,
    DesignContext,
    Keep,
    Setting,
    working_set_cache,
    working_set_need,
)

ApplyMethod = Literal["pending-reboot", "immediate"]


@dataclass(frozen=True)
class Parameter:
    """One parameter of the group: value in the RDS unit, how it applies, who set it and why."""

    name: str
    value: str
    unit: str
    apply_method: ApplyMethod
    rule: str
    rationale: str
    formula: str | None = None


@dataclass(frozen=True)
class LeftAtDefault:
    """A parameter the design does not set, the value it keeps, and why."""

    name: str
    default: str | None
    reason: str


@dataclass(frozen=True)
class ParameterDesign:
    """A checked parameter group for one profile on one engine and instance class."""

    profile: WorkloadProfile
    engine: str
    family: str
    instance: InstanceClass
    parameters: list[Parameter]
    memory: MemoryBudget
    left_at_default: list[LeftAtDefault] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def max_connections(self) -> int:
        """The designed max_connections."""
        return self.memory.max_connections

    @property
    def values(self) -> dict[str, str]:
        """Parameter name → value, in the RDS unit."""
        return {parameter.name: parameter.value for parameter in self.parameters}

    def parameter(self, name: str) -> Parameter:
        """The parameter called `name`; KeyError when the design leaves it unset."""
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        raise KeyError(name)


def variables_for(profile: WorkloadProfile, facts: EngineFacts) -> dict[str, int]:
    """The RDS formula variables of the profile's instance."""
    instance = profile.instance
    return instance_variables(
        class_memory_bytes=instance.class_memory_bytes,
        vcpu=instance.vcpu,
        allocated_storage_bytes=profile.storage.size_gib * GiB,
        port=facts.port,
        huge_pages_default=instance.huge_pages_default,
    )


def _parameter(facts: EngineFacts, setting: Setting, rule: str) -> Parameter:
    spec = facts.spec(setting.name)
    spec.check(setting.value)
    return Parameter(
        name=setting.name,
        value=setting.value,
        unit=spec.unit,
        apply_method=spec.apply_method,
        rule=rule,
        rationale=setting.rationale,
        formula=setting.formula,
    )


def design(profile: WorkloadProfile) -> ParameterDesign:
    """Design the parameter group for `profile`; DesignError when it cannot be made safe.

    When the class's cache cannot hold the profile's working set, the design's notes name
    the smallest class of the same family whose design would (`larger_class_note`).
    """
    result = _design(profile)
    note = larger_class_note(result)
    return result if note is None else replace(result, notes=[*result.notes, note])


def larger_class_note(result: ParameterDesign) -> str | None:
    """What to do when no parameter can keep the working set in memory: a larger class.

    The cache that must hold it is InnoDB's buffer pool, or PostgreSQL's shared buffers
    and page cache together (`working_set_cache`); the rest of the working set is read from
    the volume at gp3's IOPS, and no parameter changes that. Each larger class of the same
    family is designed in turn, with the same connections and memory check, and the first
    whose cache holds the working set is named; None when this class already holds it.
    """
    profile = result.profile
    need = working_set_need(profile)
    cache, size = working_set_cache(profile.dialect, result.values)
    if size >= need:
        return None
    held = (
        "shared buffers and the page cache together"
        if profile.dialect == "postgres"
        else "the connections' memory reserved first"
    )
    here = (
        f"the {profile.workload.working_set_gib:g} GiB working set is larger than "
        f"{profile.instance_class} can hold ({cache} {mib(size)}: {held}): what it misses "
        "is read from the volume at the storage's IOPS, which no parameter raises"
    )
    family = profile.instance.family
    larger = sorted(
        (
            c
            for c in CATALOG.values()
            if c.family == family and c.memory_gib > profile.instance.memory_gib
        ),
        key=lambda c: c.memory_gib,
    )
    last: tuple[str, int] | None = None
    for candidate in larger:
        try:
            other = _design(profile.model_copy(update={"instance_class": candidate.name}))
        except DesignError:
            continue
        _, other_size = working_set_cache(profile.dialect, other.values)
        if other_size >= need:
            return (
                f"{here}; {candidate.name} ({candidate.memory_gib} GiB) is the smallest "
                f"{family} class whose design holds it ({cache} {mib(other_size)})."
            )
        last = (candidate.name, other_size)
    if last is None:
        return f"{here}; {profile.instance_class} is the largest {family} class."
    tail = "" if family.startswith("db.r") else ": a memory-optimized (r) class has 8 GiB per vCPU"
    return (
        f"{here}; no {family} class holds it (the largest, {last[0]}, gives "
        f"{cache} {mib(last[1])}){tail}."
    )


def _design(profile: WorkloadProfile) -> ParameterDesign:
    facts = engine_facts(profile.engine)
    variables = variables_for(profile, facts)
    ctx = DesignContext(profile, facts, profile.instance, variables)
    parameters: list[Parameter] = []
    kept: dict[str, str] = {}
    for rule in RULES:
        for decision in rule(ctx):
            if isinstance(decision, Keep):
                facts.spec(decision.name)
                kept[decision.name] = decision.reason
                continue
            if decision.name in ctx.values:
                raise DesignError(f"rule {rule.__name__} sets {decision.name} a second time")
            parameters.append(_parameter(facts, decision, rule.__name__))
            ctx.values[decision.name] = decision.value
    for name, reason in LEFT_AT_DEFAULT[facts.dialect].items():
        if name in facts.params:
            kept.setdefault(name, reason)
    budget = memory_budget(facts, profile.instance, ctx.values, variables)
    check_memory(budget)
    left = [
        LeftAtDefault(name, facts.default(name, variables), reason)
        for name, reason in kept.items()
        if name not in ctx.values
    ]
    return ParameterDesign(
        profile=profile,
        engine=facts.key,
        family=facts.family,
        instance=profile.instance,
        parameters=parameters,
        memory=budget,
        left_at_default=left,
        notes=ctx.notes,
    )


__all__ = ["LeftAtDefault", "Parameter", "ParameterDesign", "design", "variables_for"]
