"""What a migration had run when it failed: its revision and its statements.

On MySQL/MariaDB every DDL statement commits implicitly, so a migration that
fails half-way leaves the statements before the failure in place while
`alembic_version` still names the previous revision. The recorder listens on
the job's connection (`before_cursor_execute` / `after_cursor_execute`) and
on Alembic's `on_version_apply`, so a failure can say which revision was
running, which of its statements had completed, and which one failed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from alembic.script import Script
from sqlalchemy import event
from sqlalchemy.engine import Connection

_MAX_STATEMENT_CHARS = 400
# Alembic's own bookkeeping (version table, catalog look-ups) is not the migration's work.
_BOOKKEEPING = ("alembic_version", "pg_catalog.", "information_schema.")


def _short(statement: str) -> str:
    flat = " ".join(statement.split())
    if len(flat) <= _MAX_STATEMENT_CHARS:
        return flat
    return flat[: _MAX_STATEMENT_CHARS - 1] + "…"


@dataclass
class StatementRecorder:
    """Statements of the revision now running; reset when Alembic records one as applied."""

    path: Sequence[Script]
    applied: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    in_flight: str | None = None

    @property
    def running(self) -> Script | None:
        """The revision that was running (the next one after those applied)."""
        index = len(self.applied)
        return self.path[index] if index < len(self.path) else None

    def on_version_apply(self, *, ctx: Any, step: Any, heads: Any, run_args: Any) -> None:
        """Alembic's hook: a revision's transaction is done and alembic_version says so."""
        self.applied.append(str(step.up_revision_id))
        self.completed.clear()
        self.in_flight = None

    def _before(self, _conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        self.in_flight = statement

    def _after(self, _conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        self.in_flight = None
        lowered = statement.lower()
        if not any(marker in lowered for marker in _BOOKKEEPING):
            self.completed.append(_short(statement))

    @contextmanager
    def listening(self, connection: Connection) -> Iterator[None]:
        """Record the statements run on `connection` inside the block."""
        event.listen(connection, "before_cursor_execute", self._before)
        event.listen(connection, "after_cursor_execute", self._after)
        try:
            yield
        finally:
            event.remove(connection, "before_cursor_execute", self._before)
            event.remove(connection, "after_cursor_execute", self._after)

    @property
    def failed_statement(self) -> str | None:
        """The statement that raised, when one did (not a Python error in the script)."""
        return _short(self.in_flight) if self.in_flight else None


__all__ = ["StatementRecorder"]
