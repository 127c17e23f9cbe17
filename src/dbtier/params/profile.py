"""The workload profile: what the application does to its database, in YAML.

The seed lists what parameter design starts from: access frequency, data volume,
query tendencies, concurrent connections, response-time and throughput targets.
This model is that list, field by field (docs/workload-profile.md explains each
with its effect). Unknown fields are errors, so a typo never silently falls back
to a default.
"""

from __future__ import annotations

import difflib
import functools
import zoneinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dbtier.budget import ConnectionBudget, TaskRange
from dbtier.errors import ProfileError
from dbtier.params.catalog import InstanceClass, instance_class

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

EngineName = Literal[
    "mysql8.0", "mysql8.4", "mariadb10.11", "postgres15", "postgres16", "postgres17"
]
ENGINES: tuple[str, ...] = EngineName.__args__  # type: ignore[attr-defined]
StorageType = Literal["gp2", "gp3", "io1", "io2", "magnetic"]


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Storage(_Strict):
    """The instance's storage: EBS volume type, size and provisioned IOPS."""

    type: StorageType = Field("gp3", description="EBS volume type RDS provisions.")
    size_gib: int = Field(20, ge=20, le=65536, description="Allocated storage in GiB.")
    iops: int | None = Field(
        None, ge=100, le=256000, description="Provisioned IOPS (gp3, io1, io2); default by type."
    )

    @property
    def effective_iops(self) -> int:
        """IOPS the volume sustains: given, or the type's baseline (gp2: 3/GiB, min 100)."""
        if self.iops is not None:
            return self.iops
        if self.type == "gp2":
            return max(100, min(16000, 3 * self.size_gib))
        if self.type == "magnetic":
            return 150
        if self.type == "gp3":
            return 12000 if self.size_gib >= 400 else 3000
        return 1000

    @property
    def solid_state(self) -> bool:
        """True for SSD-backed volumes (everything but magnetic)."""
        return self.type != "magnetic"

    @model_validator(mode="after")
    def _iops_fits_type(self) -> Storage:
        if self.iops is not None and self.type in ("gp2", "magnetic"):
            raise ValueError(f"iops: {self.type} volumes do not take provisioned IOPS; remove iops")
        if self.iops is None and self.type in ("io1", "io2"):
            raise ValueError(f"iops: {self.type} volumes need provisioned IOPS; add iops")
        return self


class TaskRangeSpec(_Strict):
    """The service's auto scaling range in one stage."""

    min: int = Field(ge=1, le=1000, description="Auto scaling minimum (desired count at rest).")
    max: int = Field(ge=1, le=1000, description="Auto scaling maximum.")

    @model_validator(mode="after")
    def _min_within_max(self) -> TaskRangeSpec:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class StageTasks(_Strict):
    """The service's auto scaling range per stage of the CDK stack (`-c stage=`)."""

    dev: TaskRangeSpec
    prod: TaskRangeSpec


class Connections(_Strict):
    """Who connects, the one declaration of the connection budget (`dbtier.budget`).

    The service's pools across its ECS tasks (in each stage, during a deploy),
    the migration job, the rotation functions and other clients. The parameter
    design sizes max_connections for it; the CDK stack takes the pool sizes and
    the auto scaling range from it and refuses a max_connections below it.
    """

    peak_concurrent: int = Field(ge=1, description="Peak concurrently active connections seen.")
    pool_size: int = Field(ge=1, le=10000, description="SQLAlchemy pool_size per task.")
    max_overflow: int = Field(10, ge=0, le=10000, description="SQLAlchemy max_overflow per task.")
    tasks: int | StageTasks = Field(
        description="ECS tasks: a fixed count, or the auto scaling range per stage "
        "({dev: {min, max}, prod: {min, max}})."
    )
    deploy_max_percent: int = Field(
        200, ge=100, le=200, description="ECS maximumPercent: old and new tasks overlap in deploys."
    )
    migration_job: int = Field(
        1, ge=0, le=100, description="Connections the scheduled migration job holds."
    )
    rotation: int = Field(
        1, ge=0, le=100, description="Connections the secret rotation functions hold."
    )
    other_clients: int = Field(3, ge=0, le=10000, description="Admin shells, monitoring agents.")
    max_connections: int | None = Field(
        None,
        ge=1,
        le=100000,
        description="Pin max_connections instead of designing it from the budget.",
    )

    @field_validator("tasks")
    @classmethod
    def _tasks_in_range(cls, value: int | StageTasks) -> int | StageTasks:
        if isinstance(value, int) and not 1 <= value <= 1000:
            raise ValueError(f"{value} tasks is outside 1..1000")
        return value

    def task_range(self, stage: str | None = None) -> TaskRange:
        """The auto scaling range in `stage`; None: the stage with the largest maximum."""
        if isinstance(self.tasks, int):
            return TaskRange(self.tasks, self.tasks)
        ranges = {"dev": self.tasks.dev, "prod": self.tasks.prod}
        if stage is None:
            chosen = max(ranges.values(), key=lambda r: (r.max, r.min))
        elif stage in ranges:
            chosen = ranges[stage]
        else:
            raise ProfileError(f"connections.tasks: no stage {stage!r}; stages are dev, prod")
        return TaskRange(chosen.min, chosen.max)

    def budget(self, stage: str | None = None) -> ConnectionBudget:
        """The connection budget in `stage` (None: at the largest auto scaling maximum)."""
        return ConnectionBudget(
            stage=stage,
            pool_size=self.pool_size,
            max_overflow=self.max_overflow,
            tasks=self.task_range(stage),
            deploy_max_percent=self.deploy_max_percent,
            migration_job=self.migration_job,
            rotation=self.rotation,
            other_clients=self.other_clients,
        )

    def budgets(self) -> list[ConnectionBudget]:
        """The budget of every stage (one, unstaged, for a fixed task count)."""
        if isinstance(self.tasks, int):
            return [self.budget()]
        return [self.budget("dev"), self.budget("prod")]

    @property
    def application_connections(self) -> int:
        """Most connections the service can open: pools × tasks during a deploy."""
        return self.budget().service


class Workload(_Strict):
    """What the queries do: kind, read/write mix, data volume, largest operations."""

    kind: Literal["oltp", "olap", "mixed"] = Field(description="OLTP, OLAP or mixed.")
    read_ratio: float = Field(ge=0, le=1, description="Fraction of statements that only read.")
    data_size_gib: float = Field(ge=0, description="Total data + indexes today, in GiB.")
    working_set_gib: float = Field(ge=0, description="Data touched in a typical hour, in GiB.")
    largest_sort_mib: float = Field(4, ge=0, description="Largest sort one query does, in MiB.")
    largest_join_mib: float = Field(1, ge=0, description="Largest unindexed join buffer, in MiB.")
    largest_temp_table_mib: float = Field(
        16, ge=0, description="Largest in-memory temporary table (GROUP BY, DISTINCT), in MiB."
    )

    @model_validator(mode="after")
    def _working_set_within_data(self) -> Workload:
        if self.working_set_gib > self.data_size_gib:
            raise ValueError(
                f"working_set_gib ({self.working_set_gib}) exceeds "
                f"data_size_gib ({self.data_size_gib}); the working set is part of the data"
            )
        return self

    @property
    def write_ratio(self) -> float:
        """Fraction of statements that write."""
        return 1.0 - self.read_ratio


class Targets(_Strict):
    """What the service promises: p95 latency and throughput."""

    p95_latency_ms: float = Field(gt=0, le=600000, description="p95 request latency target, ms.")
    throughput_qps: float = Field(gt=0, description="Peak statements per second to sustain.")


class WorkloadProfile(_Strict):
    """One application's usage profile, the input of `dbtier params design`."""

    name: str = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9-]*$")
    description: str = ""
    engine: EngineName
    engine_version: str | None = Field(None, description="Minor version, e.g. '8.0.43'.")
    instance_class: str
    storage: Storage = Storage()
    connections: Connections
    workload: Workload
    targets: Targets
    durability: Literal["strict", "relaxed"] = "strict"
    time_zone: str = "UTC"
    character_set: Literal["utf8mb4"] = "utf8mb4"
    log_retention_days: int = Field(7, ge=1, le=3653)

    @field_validator("instance_class")
    @classmethod
    def _known_class(cls, value: str) -> str:
        instance_class(value)
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value in _zones() or value == "UTC":
            return value
        near = difflib.get_close_matches(value, _zones(), n=3)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise ValueError(f"unknown IANA time zone {value!r}{hint}")

    @model_validator(mode="after")
    def _version_matches_engine(self) -> WorkloadProfile:
        if self.engine_version is not None:
            major = self.engine.removeprefix("mysql").removeprefix("mariadb")
            major = major.removeprefix("postgres")
            if not self.engine_version.startswith(major + "."):
                raise ValueError(
                    f"engine_version {self.engine_version!r} is not a {self.engine} version "
                    f"(expected {major}.x)"
                )
        return self

    @property
    def instance(self) -> InstanceClass:
        """The instance class from the catalog."""
        return instance_class(self.instance_class)

    @property
    def dialect(self) -> Literal["mysql", "postgres"]:
        """SQL dialect family: MySQL and MariaDB share one."""
        return "postgres" if self.engine.startswith("postgres") else "mysql"


def _describe(error: ErrorDetails) -> str:
    loc = ".".join(str(part) for part in error["loc"])
    kind, message = error["type"], str(error["msg"])
    if kind == "extra_forbidden":
        return f"{loc}: unknown field; remove it or check its spelling"
    if kind == "literal_error" and isinstance(error.get("input"), str):
        expected = str((error.get("ctx") or {}).get("expected", ""))
        choices = [part.strip(" '") for part in expected.replace(" or ", ",").split(",")]
        near = difflib.get_close_matches(error["input"], choices, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        return f"{loc}: {error['input']!r} is not one of {expected}{hint}"
    if kind == "missing":
        return f"{loc}: required field is missing"
    message = message.removeprefix("Value error, ")
    given = error.get("input")
    if not loc:  # a check across fields: the message names them
        return message
    return f"{loc}: {message}" + ("" if isinstance(given, dict) else f" (got {given!r})")


def parse_profile(data: Any, *, source: str = "profile") -> WorkloadProfile:
    """Validate a mapping as a profile; ProfileError names every bad field."""
    if not isinstance(data, dict):
        raise ProfileError(f"{source}: a workload profile is a YAML mapping of fields")
    try:
        return WorkloadProfile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        raise ProfileError(f"{source}: {problems}") from None
    except ProfileError as exc:
        raise ProfileError(f"{source}: {exc}") from None


def load_profile(path: Path) -> WorkloadProfile:
    """Read and validate a workload profile YAML file (see docs/workload-profile.md)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read the workload profile: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ProfileError(f"{path}: not valid YAML{where}: {exc}") from None
    return parse_profile(data, source=str(path))


__all__ = [
    "ENGINES",
    "Connections",
    "EngineName",
    "StageTasks",
    "Storage",
    "Targets",
    "TaskRangeSpec",
    "Workload",
    "WorkloadProfile",
    "load_profile",
    "parse_profile",
]
