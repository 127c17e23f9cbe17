"""The migration job: Alembic to head under a database lock, bounded waits, recorded runs.

`run_job(settings, ...)` is what `dbtier migrate run` (the Fargate task's
command) calls; `migration_status`, `plan_sql`, `run_history` and
`stamp_revision` back the other `dbtier migrate` commands.

    lock.py      one lock strategy per engine (GET_LOCK, pg_advisory_lock, filelock)
    timeouts.py  per-engine lock/statement timeout facts and error codes
    history.py   the dbtier_migration_runs table
    project.py   the Alembic project: config, revisions, upgrade, offline SQL
    recorder.py  statements of the running revision (for failure messages)
    failure.py   the message of a failed migration, with recovery steps
    connect.py   bounded connection retries
    emf.py       the CloudWatch Embedded Metric Format line
    job.py       the job itself
    status.py    status, history and plan (read-only)
    stamp.py     stamp under the lock
"""

from __future__ import annotations

from dbtier.migrate.history import RunRecord
from dbtier.migrate.job import DEFAULT_CONNECT_RETRIES, JobResult, run_job
from dbtier.migrate.stamp import stamp_revision
from dbtier.migrate.status import MigrationStatus, migration_status, plan_sql, run_history

__all__ = [
    "DEFAULT_CONNECT_RETRIES",
    "JobResult",
    "MigrationStatus",
    "RunRecord",
    "migration_status",
    "plan_sql",
    "run_history",
    "run_job",
    "stamp_revision",
]
