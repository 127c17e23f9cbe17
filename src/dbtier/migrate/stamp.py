"""`dbtier migrate stamp REV`: set alembic_version without running migrations.

The recovery step after a half-applied migration on MySQL/MariaDB was
finished (or undone) by hand. It takes the migration lock like a run does,
so it never races a running job.
"""

from __future__ import annotations

from dbtier.config import Settings
from dbtier.db import make_engine
from dbtier.errors import UsageError
from dbtier.logs import get_logger
from dbtier.migrate import project
from dbtier.migrate.connect import connect_with_retries
from dbtier.migrate.lock import lock_for
from dbtier.secrets import resolve_database


def stamp_revision(
    settings: Settings,
    revision: str,
    project_ref: project.ProjectRef = None,
    *,
    lock_wait: float | None = None,
    retries: int = 2,
) -> tuple[str, ...]:
    """Stamp `revision` under the migration lock; returns the heads afterwards."""
    resolved = resolve_database(settings)
    config = project.load_config(project_ref, resolved.url)
    script = project.script_directory(config)
    if revision not in ("base", "head", "heads"):
        try:
            script.get_revision(revision)
        except Exception:  # alembic raises several types for an unknown or ambiguous id
            raise UsageError(
                f"stamp: {revision!r} is not a revision of this project; "
                "see `dbtier migrate status` for the revisions"
            ) from None
    engine = make_engine(settings, resolved=resolved)
    log = get_logger("migrate")
    try:
        with connect_with_retries(engine, retries=retries) as conn:
            lock = lock_for(conn)
            wait = settings.lock_wait if lock_wait is None else lock_wait
            if not lock.acquire(wait):
                raise UsageError(
                    f"stamp: another runner holds {lock.description}; try again when it is done"
                )
            try:
                before = project.current_heads(conn)
                project.stamp(config, conn, revision)
                after = project.current_heads(conn)
            finally:
                lock.release()
    finally:
        engine.dispose()
    log.info("stamped", step="stamp", before=list(before), after=list(after))
    return after


__all__ = ["stamp_revision"]
