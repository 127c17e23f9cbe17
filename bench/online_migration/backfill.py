"""Helpers the benchmark's recommended revisions share: batched backfill, engine facts.

A backfill in one UPDATE holds row locks on every row (and, in InnoDB under
REPEATABLE READ, next-key locks on the gaps) until it commits, and on
PostgreSQL it runs inside the revision's transaction, under the ALTER's
ACCESS EXCLUSIVE lock. In batches of committed, id-ranged UPDATEs (an
`autocommit_block`), each lock lives for one batch, and a short pause lets
the application's queries through.
"""

from __future__ import annotations

import time

from alembic import op
from sqlalchemy import text

BATCH_ROWS = 10_000
PAUSE_S = 0.02


def dialect() -> str:
    """'postgresql', or 'mariadb' for the MySQL family (offline too, for `dbtier migrate lint`)."""
    name = str(op.get_context().dialect.name)
    return "mariadb" if name in ("mysql", "mariadb") else name


def backfill(update: str, *, table: str = "report_tasks", batch: int = BATCH_ROWS) -> int:
    """Run `update` (with :lo and :hi bounds on id) over the table in committed batches.

    Offline (`dbtier migrate lint`, `dbtier migrate plan`) it renders one batch.
    """
    context = op.get_context()
    if context.as_sql:
        with context.autocommit_block():
            op.execute(text(update).bindparams(lo=1, hi=1 + batch))
        return 1
    bind = op.get_bind()
    low, high = bind.execute(text(f"SELECT min(id), max(id) FROM {table}")).one()
    batches = 0
    if low is None:
        return 0
    with context.autocommit_block():
        for start in range(int(low), int(high) + 1, batch):
            bind.execute(text(update), {"lo": start, "hi": start + batch})
            batches += 1
            time.sleep(PAUSE_S)
    return batches


def autocommit(*statements: str) -> None:
    """Statements that must run outside a transaction (CONCURRENTLY, VALIDATE, session SETs)."""
    with op.get_context().autocommit_block():
        for statement in statements:
            op.execute(statement)


__all__ = ["BATCH_ROWS", "PAUSE_S", "autocommit", "backfill", "dialect"]
