"""The connection budget: every client that may hold a database connection at once.

One declaration, the workload profile's `connections` section, says how many
connections each client may open: the service's pool (`pool_size`,
`max_overflow`) in every task, how many tasks auto scaling may run in each
stage, how far a rolling deploy overlaps old and new tasks
(`deploy_max_percent`), the scheduled migration job, the secret rotation
functions and anything else (`other_clients`). Everything that must agree
reads it from there:

- `dbtier params design` sizes `max_connections` from the budget at its
  largest (and prints it);
- the CDK stack gives the service's containers `DBTIER_POOL_SIZE` and
  `DBTIER_MAX_OVERFLOW`, and its auto scaling target the stage's min/max tasks;
- synthesis refuses a stack whose `max_connections` is below the budget at the
  stage's auto scaling maximum during a deploy (`check`), naming every term.

This module holds the arithmetic and the check; `dbtier.params.profile`
validates the YAML and builds a `ConnectionBudget` for a stage.
"""

from __future__ import annotations

from dataclasses import dataclass

from dbtier.errors import DesignError


class ConnectionBudgetError(DesignError):
    """max_connections is below what the declared clients may open at once."""


@dataclass(frozen=True)
class TaskRange:
    """The service's auto scaling range: tasks at least and at most."""

    min: int
    max: int


@dataclass(frozen=True, kw_only=True)
class ConnectionBudget:
    """The connections one stage's clients may hold at once, term by term."""

    stage: str | None
    pool_size: int
    max_overflow: int
    tasks: TaskRange
    deploy_max_percent: int
    migration_job: int
    rotation: int
    other_clients: int

    @property
    def per_task(self) -> int:
        """What one task's SQLAlchemy pool may open: pool_size + max_overflow."""
        return self.pool_size + self.max_overflow

    @property
    def tasks_during_deploy(self) -> int:
        """Tasks at the auto scaling maximum while a deploy runs old and new side by side."""
        return -(-self.tasks.max * self.deploy_max_percent // 100)

    @property
    def service(self) -> int:
        """The service's share: per task × tasks during a deploy at the maximum."""
        return self.per_task * self.tasks_during_deploy

    @property
    def total(self) -> int:
        """Every client at once: the service, the migration job, rotation, the others."""
        return self.service + self.migration_job + self.rotation + self.other_clients

    def describe(self) -> str:
        """Every term, e.g. `(pool 5 + overflow 5) × 12 tasks (6 at 200 % …) + … = 126`."""
        where = f"{self.stage} stage, " if self.stage else ""
        return (
            f"(pool {self.pool_size} + overflow {self.max_overflow}) × "
            f"{self.tasks_during_deploy} tasks ({where}auto scaling maximum {self.tasks.max} "
            f"at deploy maximum {self.deploy_max_percent} %) = {self.service}"
            f" + migration job {self.migration_job} + rotation {self.rotation}"
            f" + other clients {self.other_clients} = {self.total}"
        )

    def terms(self) -> dict[str, int]:
        """The budget as data (the JSON design and the docs use it)."""
        return {
            "pool_size": self.pool_size,
            "max_overflow": self.max_overflow,
            "min_tasks": self.tasks.min,
            "max_tasks": self.tasks.max,
            "deploy_max_percent": self.deploy_max_percent,
            "tasks_during_deploy": self.tasks_during_deploy,
            "service": self.service,
            "migration_job": self.migration_job,
            "rotation": self.rotation,
            "other_clients": self.other_clients,
            "total": self.total,
        }

    def check(self, max_connections: int, *, source: str) -> None:
        """Raise ConnectionBudgetError when `max_connections` cannot hold the budget."""
        if self.total <= max_connections:
            return
        raise ConnectionBudgetError(
            f"{source}: the connection budget at the auto scaling maximum during a deploy "
            f"exceeds max_connections: {self.describe()} > max_connections "
            f"{max_connections}. Lower pool_size, max_overflow, the maximum tasks or "
            "deploy_max_percent in the profile's connections section, or raise "
            "max_connections (or remove its pin)."
        )


__all__ = ["ConnectionBudget", "ConnectionBudgetError", "TaskRange"]
