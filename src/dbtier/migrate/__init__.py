"""The migration job: Alembic to head under a database lock, bounded waits, recorded runs.

`run_job(settings, ...)` is what `dbtier migrate run` (the Fargate task's
command) and `dbtier migrate downgrade` call; `migration_status`,
`schema_drift`, `plan_sql`, `run_history`, `stamp_revision` and `repair`
back the other `dbtier migrate` commands.

    lock.py      one lock strategy per engine (GET_LOCK, pg_advisory_lock, filelock)
    timeouts.py  per-engine lock/statement timeout facts and error codes
    history.py   the dbtier_migration_runs table
    drift.py     the live schema against the head models (Alembic's comparison)
    dirty.py     a revision left half-applied blocks later runs until resolved
    project.py   the Alembic project: config, revisions, upgrade, offline SQL
    recorder.py  statements of the running revision (for failure messages)
    failure.py   the message of a failed migration, with recovery steps
    connect.py   bounded connection retries
    emf.py       the CloudWatch Embedded Metric Format line
    job.py       the job itself
    status.py    status, drift, history and plan (read-only)
    operation.py stamp and repair's locked session and history row
    stamp.py     stamp under the lock (resolves a dirty state)
    repair.py    resolve a dirty state after checking the schema
"""

from __future__ import annotations

from dbtier.migrate.drift import Difference
from dbtier.migrate.history import RunRecord
from dbtier.migrate.job import DEFAULT_CONNECT_RETRIES, JobResult, run_job
from dbtier.migrate.repair import RepairResult, repair
from dbtier.migrate.stamp import StampResult, stamp_revision
from dbtier.migrate.status import (
    DriftReport,
    MigrationStatus,
    migration_status,
    plan_sql,
    run_history,
    schema_drift,
)

__all__ = [
    "DEFAULT_CONNECT_RETRIES",
    "Difference",
    "DriftReport",
    "JobResult",
    "MigrationStatus",
    "RepairResult",
    "RunRecord",
    "StampResult",
    "migration_status",
    "plan_sql",
    "repair",
    "run_history",
    "run_job",
    "schema_drift",
    "stamp_revision",
]
