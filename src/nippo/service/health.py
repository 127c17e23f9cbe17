"""Readiness: the database answers and its schema is at the Alembic head this code ships."""

from __future__ import annotations

from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from nippo.migrations import alembic_config


@dataclass(frozen=True)
class Readiness:
    """Ready or not, and why."""

    ready: bool
    database: str
    revision: str | None
    head: str | None


def shipped_heads() -> tuple[str, ...]:
    """The head revision(s) of the migrations inside the package."""
    return tuple(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))


def readiness(engine: Engine, heads: tuple[str, ...]) -> Readiness:
    """Connect, read `alembic_version`, compare with the shipped head."""
    head = ",".join(heads) or None
    try:
        with engine.connect() as connection:
            current = tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
    except Exception as exc:  # any failure to connect or read means "not ready"
        return Readiness(False, f"unreachable ({type(exc).__name__})", None, head)
    revision = ",".join(current) or None
    if current != heads:
        state = "not migrated" if revision is None else "behind or ahead of the code"
        return Readiness(False, f"schema {state}; run the migration job", revision, head)
    return Readiness(True, "ok", revision, head)


__all__ = ["Readiness", "readiness", "shipped_heads"]
