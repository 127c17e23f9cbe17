"""One-off operations under the migration lock: `stamp` and `repair`.

They change what the job relies on (`alembic_version`, the dirty marker), so
they take the same lock a run takes, never race a running job, and leave a
row in the run history (`kind` = stamp or repair) like a run does.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from dbtier.config import Settings
from dbtier.db import make_engine
from dbtier.errors import UsageError
from dbtier.migrate import history, project
from dbtier.migrate.connect import connect_with_retries
from dbtier.migrate.lock import lock_for
from dbtier.secrets import resolve_database


@dataclass
class Operation:
    """The open, locked session of one stamp or repair, and its history row."""

    kind: str
    conn: Connection
    config: Config
    script: ScriptDirectory
    before: tuple[str, ...]
    run_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def record(self, status: str, **values: Any) -> None:
        """Insert this operation's finished row in the run history."""
        history.insert(
            self.conn,
            history.RunRecord(
                run_id=self.run_id,
                status=status,
                started_at=self.started_at,
                ended_at=dt.datetime.now(dt.UTC),
                from_revision=",".join(self.before) or None,
                to_revision=",".join(project.current_heads(self.conn)) or None,
                runner=f"{socket.gethostname()}:{os.getpid()}",
                kind=self.kind,
                **values,
            ),
        )


@contextmanager
def locked(
    kind: str,
    settings: Settings,
    project_ref: project.ProjectRef,
    *,
    lock_wait: float | None,
    retries: int,
) -> Iterator[Operation]:
    """Connect, take the migration lock (or refuse), ensure the history table."""
    resolved = resolve_database(settings)
    config = project.load_config(project_ref, resolved.url)
    script = project.script_directory(config)
    engine = make_engine(settings, resolved=resolved)
    try:
        with connect_with_retries(engine, retries=retries) as conn:
            lock = lock_for(conn)
            wait = settings.lock_wait if lock_wait is None else lock_wait
            if not lock.acquire(wait):
                raise UsageError(
                    f"{kind}: another runner holds {lock.description}; try again when it is done"
                )
            try:
                history.ensure_table(conn)
                yield Operation(kind, conn, config, script, project.current_heads(conn))
            finally:
                lock.release()
    finally:
        engine.dispose()


__all__ = ["Operation", "locked"]
