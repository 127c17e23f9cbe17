"""Looking without changing: `status`, `drift` and `plan`.

`status` shows the current revision, head, pending revisions, drift (the
live schema against the head models, `dbtier.migrate.drift`), a dirty state
(`dbtier.migrate.dirty`) and the last runs. `drift` is the comparison alone,
for a check that exits 1 on any difference. `plan` uses Alembic's offline
mode: it renders the SQL of the pending revisions from the database's current
revision (or `--from REV`) without running any of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from dbtier.config import Settings
from dbtier.db import make_engine
from dbtier.errors import DbtierError
from dbtier.migrate import drift, history, project
from dbtier.migrate.connect import connect_with_retries
from dbtier.migrate.drift import Difference
from dbtier.secrets import resolve_database


@dataclass(frozen=True)
class MigrationStatus:
    """Where the database stands against the project."""

    current: tuple[str, ...]
    heads: tuple[str, ...]
    pending: tuple[tuple[str, str], ...]  # (revision, first line of its message)
    runs: tuple[history.RunRecord, ...]
    drift: tuple[Difference, ...] | None = None  # None: not compared (see drift_note)
    drift_note: str | None = None
    dirty: history.RunRecord | None = None

    @property
    def up_to_date(self) -> bool:
        return not self.pending

    def to_json(self) -> dict[str, Any]:
        return {
            "current": list(self.current),
            "heads": list(self.heads),
            "up_to_date": self.up_to_date,
            "pending": [{"revision": rev, "message": msg} for rev, msg in self.pending],
            "drift": None if self.drift is None else [d.to_json() for d in self.drift],
            "drift_note": self.drift_note,
            "dirty": None if self.dirty is None else self.dirty.to_json(),
            "runs": [run.to_json() for run in self.runs],
        }


@dataclass(frozen=True)
class DriftReport:
    """The live schema against the head models, and where alembic_version stands."""

    current: tuple[str, ...]
    heads: tuple[str, ...]
    pending: tuple[str, ...]
    differences: tuple[Difference, ...]

    @property
    def has_drift(self) -> bool:
        return bool(self.differences)

    def to_json(self) -> dict[str, Any]:
        return {
            "current": list(self.current),
            "heads": list(self.heads),
            "pending": list(self.pending),
            "drift": self.has_drift,
            "differences": [d.to_json() for d in self.differences],
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
    settings: Settings,
    project_ref: project.ProjectRef = None,
    *,
    runs: int = 5,
    retries: int = 2,
    check_drift: bool = True,
) -> MigrationStatus:
    """Current revision, heads, pending revisions, drift, dirty state and the last runs."""
    session = _Session(settings, project_ref, retries)
    found: tuple[Difference, ...] | None = None
    note: str | None = None
    try:
        with session.connect() as conn:
            current = project.current_heads(conn)
            todo = project.pending(session.script, current)
            recent = history.recent(conn, runs)
            left = history.unresolved_dirty(conn)
            if not check_drift:
                note = "not compared (--no-drift)"
            elif todo:
                note = "not compared: revisions are pending (drift is compared at head)"
            else:
                try:
                    found = tuple(drift.compare(session.config, session.script, conn))
                except DbtierError as exc:
                    note = f"not compared: {exc}"
    finally:
        session.engine.dispose()
    return MigrationStatus(
        current=current,
        heads=tuple(session.script.get_heads()),
        pending=tuple((rev.revision, _first_line(rev.doc)) for rev in todo),
        runs=tuple(recent),
        drift=found,
        drift_note=note,
        dirty=left,
    )


def schema_drift(
    settings: Settings, project_ref: project.ProjectRef = None, *, retries: int = 2
) -> DriftReport:
    """Compare the live schema with the head models (raises ConfigError without models).

    Compared even when revisions are pending: what they would change then shows
    as differences, and the report lists them, since the schema is not the head's.
    """
    session = _Session(settings, project_ref, retries)
    try:
        with session.connect() as conn:
            current = project.current_heads(conn)
            todo = project.pending(session.script, current)
            found = drift.compare(session.config, session.script, conn)
    finally:
        session.engine.dispose()
    return DriftReport(
        current=current,
        heads=tuple(session.script.get_heads()),
        pending=tuple(rev.revision for rev in todo),
        differences=tuple(found),
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


__all__ = [
    "DriftReport",
    "MigrationStatus",
    "migration_status",
    "plan_sql",
    "run_history",
    "schema_drift",
]
