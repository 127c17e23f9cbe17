"""Looking without changing: `status` (current, head, pending, last runs) and `plan` (SQL).

`plan` uses Alembic's offline mode: it renders the SQL of the pending
revisions from the database's current revision (or `--from REV`) without
running any of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from dbtier.config import Settings
from dbtier.db import make_engine
from dbtier.migrate import history, project
from dbtier.migrate.connect import connect_with_retries
from dbtier.secrets import resolve_database


@dataclass(frozen=True)
class MigrationStatus:
    """Where the database stands against the project."""

    current: tuple[str, ...]
    heads: tuple[str, ...]
    pending: tuple[tuple[str, str], ...]  # (revision, first line of its message)
    runs: tuple[history.RunRecord, ...]

    @property
    def up_to_date(self) -> bool:
        return not self.pending

    def to_json(self) -> dict[str, Any]:
        return {
            "current": list(self.current),
            "heads": list(self.heads),
            "up_to_date": self.up_to_date,
            "pending": [{"revision": rev, "message": msg} for rev, msg in self.pending],
            "runs": [run.to_json() for run in self.runs],
        }


def _first_line(doc: str | None) -> str:
    lines = (doc or "").strip().splitlines()
    return lines[0] if lines else ""


class _Session:
    """Project and connection for a read-only command."""

    def __init__(self, settings: Settings, project_ref: project.ProjectRef, retries: int) -> None:
        resolved = resolve_database(settings)
        self.config = project.load_config(project_ref, resolved.url)
        self.script = project.script_directory(self.config)
        self.engine = make_engine(settings, resolved=resolved)
        self.retries = retries

    def connect(self) -> Connection:
        return connect_with_retries(self.engine, retries=self.retries)


def migration_status(
    settings: Settings, project_ref: project.ProjectRef = None, *, runs: int = 5, retries: int = 2
) -> MigrationStatus:
    """Current revision, heads, pending revisions and the last `runs` runs."""
    session = _Session(settings, project_ref, retries)
    try:
        with session.connect() as conn:
            current = project.current_heads(conn)
            todo = project.pending(session.script, current)
            recent = history.recent(conn, runs)
    finally:
        session.engine.dispose()
    return MigrationStatus(
        current=current,
        heads=tuple(session.script.get_heads()),
        pending=tuple((rev.revision, _first_line(rev.doc)) for rev in todo),
        runs=tuple(recent),
    )


def run_history(
    settings: Settings, *, limit: int = 20, retries: int = 2
) -> list[history.RunRecord]:
    """The last `limit` runs, newest first."""
    engine = make_engine(settings)
    try:
        with connect_with_retries(engine, retries=retries) as conn:
            return history.recent(conn, limit)
    finally:
        engine.dispose()


def plan_sql(
    settings: Settings,
    project_ref: project.ProjectRef = None,
    *,
    from_rev: str | None = None,
    retries: int = 2,
) -> str:
    """The SQL an upgrade to head would run; reads the current revision unless `from_rev`."""
    session = _Session(settings, project_ref, retries)
    try:
        if from_rev is None:
            with session.connect() as conn:
                current = project.current_heads(conn)
        else:
            current = () if from_rev == "base" else (from_rev,)
    finally:
        session.engine.dispose()
    if not project.pending(session.script, current):
        return ""
    return project.offline_sql(session.config, current)


__all__ = ["MigrationStatus", "migration_status", "plan_sql", "run_history"]
