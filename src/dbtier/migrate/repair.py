"""`dbtier migrate repair`: resolve a dirty state after checking the schema.

`stamp` takes the operator's word for where the schema is; `repair` checks
it. A dirty state (`dbtier.migrate.dirty`) names the revision a failed run
left half-applied. When that revision is the project's head, the schema
after it was finished by hand must match the head models, which is exactly
what the drift comparison (`dbtier.migrate.drift`) checks: no difference →
stamp the revision, resolve the dirty state, exit 0; differences → refuse
(exit 1), naming each, and record a `failed` repair run with them.

It cannot check a revision below head (there are no models of that
revision to compare with) nor a failed downgrade: then it says so, and
`dbtier migrate stamp` is the way out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dbtier.config import Settings
from dbtier.errors import MigrationFailed, UsageError
from dbtier.logs import get_logger
from dbtier.migrate import drift, history, project
from dbtier.migrate.drift import Difference
from dbtier.migrate.operation import locked


@dataclass(frozen=True)
class RepairResult:
    """What repair did: `repaired` (stamped) or `clean` (nothing was dirty)."""

    status: str
    run_id: str | None = None
    revision: str | None = None
    differences: tuple[Difference, ...] = field(default=())


def _not_checkable(revision: str, kind: str | None, heads: tuple[str, ...]) -> str | None:
    if kind == "downgrade":
        return (
            f"repair: the dirty state comes from a failed downgrade of {revision}; repair can "
            "only check a half-applied upgrade against the models. Inspect the schema and run "
            "`dbtier migrate stamp REV` with the revision it matches."
        )
    if revision not in heads:
        return (
            f"repair: {revision} is not the project's head ({', '.join(heads)}), so there are no "
            f"models of it to compare the schema with. Inspect the schema; then "
            f"`dbtier migrate stamp {revision}` if you finished it by hand, or stamp the "
            "revision before it if you undid its statements."
        )
    return None


def _mismatch(revision: str, current: str, differences: list[Difference]) -> str:
    lines = [
        f"repair: the schema does not match {revision} (the head models); still dirty. "
        f"{len(differences)} difference(s):",
        *(f"  - {d}" for d in differences),
        f"Finish {revision} by hand and run repair again, or, if you undid its statements, "
        f"`dbtier migrate stamp {current}` and fix the migration.",
    ]
    return "\n".join(lines)


def repair(
    settings: Settings,
    project_ref: project.ProjectRef = None,
    *,
    lock_wait: float | None = None,
    retries: int = 2,
) -> RepairResult:
    """Check the schema of a dirty database against the head models; stamp it when it matches."""
    log = get_logger("migrate")
    with locked("repair", settings, project_ref, lock_wait=lock_wait, retries=retries) as op:
        left = history.unresolved_dirty(op.conn)
        if left is None or left.dirty_revision is None:
            log.info("nothing to repair", step="repair")
            return RepairResult(status="clean")
        revision = left.dirty_revision
        problem = _not_checkable(revision, left.kind, tuple(op.script.get_heads()))
        if problem is not None:
            raise UsageError(problem)
        differences = drift.compare(op.config, op.script, op.conn)
        if differences:
            message = _mismatch(revision, ",".join(op.before) or "base", differences)
            op.record("failed", error=message, drift=drift.to_column(differences))
            raise MigrationFailed(message)
        project.stamp(op.config, op.conn, revision)
        history.resolve_dirty(op.conn, by_run=op.run_id)
        op.record("succeeded", drift=drift.to_column([]))
    log.info("repaired", step="repair", revision=revision, run_id=op.run_id)
    return RepairResult(status="repaired", run_id=op.run_id, revision=revision)


__all__ = ["RepairResult", "repair"]
