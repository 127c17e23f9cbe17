"""Dirty state: a revision left half-applied stops every later run until someone resolves it.

MySQL and MariaDB commit each DDL statement implicitly, so a migration that
fails after some of its statements ran leaves them applied while
`alembic_version` still names the revision before. Running the job again
would re-run the same revision from its first statement against a schema
that already has part of it: at best it fails the same way at every firing,
at worst it half-applies something else. golang-migrate and Flyway both stop
on such a state; so does dbtier:

- the failed run's history row gets `dirty_revision` (its `error` already
  lists the statements that had run and the way out);
- every later `run` or `downgrade` finds the unresolved dirty row, records
  itself as `refused` and exits 1 with the recovery steps;
- `dbtier migrate stamp REV` (the operator says where the schema is) or
  `dbtier migrate repair` (dbtier checks the schema against the models first)
  resolves it: the dirty row gets `resolved_by` = the stamp or repair's run id.

PostgreSQL rolls a failed revision back whole (transactional DDL), so it is
never dirty. A failure before any statement of the revision completed leaves
nothing applied and is not dirty either.
"""

from __future__ import annotations

from dbtier.migrate.history import RunRecord
from dbtier.migrate.recorder import StatementRecorder
from dbtier.migrate.timeouts import EngineFacts


def left_dirty(facts: EngineFacts, recorder: StatementRecorder) -> str | None:
    """The revision a failure left half-applied, or None when nothing of it stays."""
    if facts.transactional_ddl or not recorder.completed:
        return None
    running = recorder.running
    return running.revision if running is not None else None


def refusal(record: RunRecord, current: str) -> str:
    """Why a run refuses to migrate a dirty database, and the ways out."""
    when = record.started_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    revision = record.dirty_revision
    lines = [
        f"the database is dirty: revision {revision} was left half-applied by run "
        f"{record.run_id} ({when}); alembic_version says {current}. "
        "Runs are refused until this is resolved.",
        "  What that run reported:",
        *(f"    {line}" for line in (record.error or "(no message recorded)").splitlines()),
        "  To resolve, after inspecting the schema:",
    ]
    if record.kind == "downgrade":
        lines.append(
            "    - `dbtier migrate stamp REV` with the revision the schema now matches "
            "(see the recovery steps above)."
        )
    else:
        lines += [
            f"    - finished {revision} by hand: `dbtier migrate repair` (compares the schema "
            f"with the models, then stamps {revision}) or `dbtier migrate stamp {revision}`;",
            f"    - undid its statements and fixed the migration: `dbtier migrate stamp "
            f"{current}`, then run again.",
        ]
    return "\n".join(lines)


__all__ = ["left_dirty", "refusal"]
