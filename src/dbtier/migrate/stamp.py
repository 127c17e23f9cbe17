"""`dbtier migrate stamp REV`: set alembic_version without running migrations.

The recovery step after a half-applied migration on MySQL/MariaDB was
finished (or undone) by hand: the operator says which revision the schema
now matches. It takes the migration lock like a run does, so it never races
a running job, records a `stamp` run, and resolves a dirty state
(`dbtier.migrate.dirty`), since the operator has now said where the schema is.
"""

from __future__ import annotations

from dataclasses import dataclass

from dbtier.config import Settings
from dbtier.errors import UsageError
from dbtier.logs import get_logger
from dbtier.migrate import history, project
from dbtier.migrate.operation import locked


@dataclass(frozen=True)
class StampResult:
    """alembic_version after the stamp, and how many dirty runs it resolved."""

    heads: tuple[str, ...]
    run_id: str
    resolved: int


def stamp_revision(
    settings: Settings,
    revision: str,
    project_ref: project.ProjectRef = None,
    *,
    lock_wait: float | None = None,
    retries: int = 2,
) -> StampResult:
    """Stamp `revision` under the migration lock and resolve a dirty state."""
    with locked("stamp", settings, project_ref, lock_wait=lock_wait, retries=retries) as op:
        if revision not in ("base", "head", "heads"):
            try:
                op.script.get_revision(revision)
            except Exception:  # alembic raises several types for an unknown or ambiguous id
                raise UsageError(
                    f"stamp: {revision!r} is not a revision of this project; "
                    "see `dbtier migrate status` for the revisions"
                ) from None
        project.stamp(op.config, op.conn, revision)
        resolved = history.resolve_dirty(op.conn, by_run=op.run_id)
        op.record("succeeded")
        after = project.current_heads(op.conn)
    get_logger("migrate").info(
        "stamped",
        step="stamp",
        before=list(op.before),
        after=list(after),
        dirty_runs_resolved=resolved,
    )
    return StampResult(heads=after, run_id=op.run_id, resolved=resolved)


__all__ = ["StampResult", "stamp_revision"]
