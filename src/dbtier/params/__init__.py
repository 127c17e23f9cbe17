"""RDS parameter design: from the application's workload profile to a checked parameter group.

    profile (YAML) ──load_profile──▶ WorkloadProfile
        ──design──▶ ParameterDesign (rules → known names and ranges → memory check)
        ──render──▶ table | markdown | json | aws | cdk | conf
    rds_default_values / engine_default_values / pgtune ──to_conf──▶ baselines for the benchmark

Modules: `profile` (the YAML model), `catalog` (instance classes and the
DBInstanceClassMemory model), `formula` (the RDS formula language), `engines`
(parameter facts per engine), `rules`, `memory` (the safety check), `design`,
`render`, `conf`, `defaults`, `pgtune`, `diff`.
"""

from __future__ import annotations

from dbtier.params.catalog import CATALOG, InstanceClass, instance_class
from dbtier.params.conf import to_conf
from dbtier.params.defaults import engine_default_values, rds_default_values
from dbtier.params.design import LeftAtDefault, Parameter, ParameterDesign, design
from dbtier.params.diff import AGAINST, Change, diff, render_diff
from dbtier.params.engines import ENGINES, engine_facts
from dbtier.params.memory import MemoryBudget, check_memory, memory_budget
from dbtier.params.pgtune import pgtune
from dbtier.params.profile import WorkloadProfile, load_profile, parse_profile
from dbtier.params.render import FORMATS, aws_batches, cdk_parameters, render

__all__ = [
    "AGAINST",
    "CATALOG",
    "ENGINES",
    "FORMATS",
    "Change",
    "InstanceClass",
    "LeftAtDefault",
    "MemoryBudget",
    "Parameter",
    "ParameterDesign",
    "WorkloadProfile",
    "aws_batches",
    "cdk_parameters",
    "check_memory",
    "design",
    "diff",
    "engine_default_values",
    "engine_facts",
    "instance_class",
    "load_profile",
    "memory_budget",
    "parse_profile",
    "pgtune",
    "rds_default_values",
    "render",
    "render_diff",
    "to_conf",
]
