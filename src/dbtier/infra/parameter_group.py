"""The RDS parameter group's contents, from `dbtier params design` on a workload profile.

The design decides the engine family, `max_connections` and the tuned values;
this module adds what the infrastructure itself requires of any design: TLS
for every connection, and the log settings that make the exported logs
(slow query, general) actually carry something.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from aws_cdk import aws_rds as rds

from dbtier.budget import ConnectionBudget
from dbtier.errors import UsageError
from dbtier.params.profile import Connections

# What RDS must have regardless of the design; the design cannot turn these off.
_REQUIRED = {
    "mysql": {"require_secure_transport": "1", "log_output": "FILE"},
    "postgres": {"rds.force_ssl": "1"},
}
# Defaults the design may override: without them the exported logs stay empty.
_DEFAULTS = {
    "mysql": {"slow_query_log": "1", "general_log": "1"},
    "postgres": {},
}
_V = TypeVar("_V", rds.MysqlEngineVersion, rds.PostgresEngineVersion)

LOG_EXPORTS = {
    "mysql": ("error", "general", "slowquery"),
    "postgres": ("postgresql",),
}


@dataclass(frozen=True, kw_only=True)
class ParameterGroupSpec:
    """Everything the data tier needs from the parameter design."""

    profile_name: str
    engine_name: str
    family: str
    max_connections: int
    instance_class: str = "db.t4g.micro"
    memory_bytes: int = 1024**3
    engine_version: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    connections: Connections | None = None  # the profile's connection budget declaration

    def budget(self, stage: str) -> ConnectionBudget:
        """The profile's connection budget in `stage` (pools, tasks, deploy, others)."""
        if self.connections is None:
            raise UsageError(f"parameter design for {self.profile_name} carries no connections")
        return self.connections.budget(stage)

    def check_budget(self, stage: str) -> ConnectionBudget:
        """The stage's budget, refused (ConnectionBudgetError) when above max_connections."""
        budget = self.budget(stage)
        budget.check(
            self.max_connections,
            source=f"workload profile {self.profile_name} ({self.family}, {stage} stage)",
        )
        return budget

    @property
    def log_exports(self) -> tuple[str, ...]:
        """CloudWatch Logs exports for this engine."""
        return LOG_EXPORTS[self.engine_name]

    def engine(self) -> rds.IInstanceEngine:
        """The RDS engine of the design's family: the profile's version, else CDK's newest.

        A full version, not a bare major: CloudFormation's schema lists full versions only.
        """
        if self.engine_name == "mysql":
            major = self.family.removeprefix("mysql")
            if self.engine_version is not None:
                mysql = rds.MysqlEngineVersion.of(self.engine_version, major)
            else:
                mysql = _newest(rds.MysqlEngineVersion, f"VER_{major.replace('.', '_')}_")
            return rds.DatabaseInstanceEngine.mysql(version=mysql)
        major = self.family.removeprefix("postgres")
        if self.engine_version is not None:
            postgres = rds.PostgresEngineVersion.of(self.engine_version, major)
        else:
            postgres = _newest(rds.PostgresEngineVersion, f"VER_{major}_")
        return rds.DatabaseInstanceEngine.postgres(version=postgres)


def _newest(versions: type[_V], prefix: str) -> _V:
    minors = [
        (int(name.removeprefix(prefix)), name)
        for name in dir(versions)
        if name.startswith(prefix) and name.removeprefix(prefix).isdigit()
    ]
    if not minors:
        raise UsageError(f"parameter design: aws-cdk-lib knows no engine version {prefix}*")
    version: _V = getattr(versions, max(minors)[1])
    return version


def spec_from_profile(profile: Path, *, engine: str) -> ParameterGroupSpec:
    """Run the parameter design on `profile` and check it matches the engine in context."""
    from dbtier import params

    workload = params.load_profile(profile)
    design = params.design(workload)
    family = str(design.family)
    design_engine = "postgres" if family.startswith("postgres") else "mysql"
    if not family.startswith(("mysql", "postgres")):
        raise UsageError(
            f"workload profile {profile}: engine {family} does not deploy here; "
            "use a mysql8.x or postgres profile"
        )
    if design_engine != engine:
        raise UsageError(
            f"context engine={engine} but workload profile {profile} designs for {family}; "
            f"pass -c workload_profile=... for {engine} or -c engine={design_engine}"
        )
    return ParameterGroupSpec(
        profile_name=workload.name,
        engine_name=engine,
        family=family,
        max_connections=int(design.max_connections),
        instance_class=design.instance.name,
        memory_bytes=design.instance.memory_bytes,
        engine_version=workload.engine_version,
        parameters=merged(engine, params.cdk_parameters(design)),
        connections=workload.connections,
    )


def merged(engine: str, designed: Mapping[str, str]) -> dict[str, str]:
    """The design's parameters with the infrastructure's defaults and requirements."""
    return {**_DEFAULTS[engine], **designed, **_REQUIRED[engine]}


__all__ = ["LOG_EXPORTS", "ParameterGroupSpec", "merged", "spec_from_profile"]
