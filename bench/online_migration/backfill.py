"""Helpers the benchmark's recommended revisions share: batched backfill, engine facts.

A backfill in one UPDATE holds row locks on every row (and, in InnoDB under
REPEATABLE READ, next-key locks on the gaps) until it commits, and on
PostgreSQL it runs inside the revision's transaction, under the ALTER's
ACCESS EXCLUSIVE lock. In batches of committed, id-ranged UPDATEs (an
`autocommit_block`), each lock lives for one batch, and a pause after each
batch lets the application's queries through: at least `PAUSE_S`, and as
long as the batch took times `DUTY`, so the backfill takes at most about
1 / (1 + DUTY) of one core however busy the server is (the way
pt-online-schema-change's --chunk-time and --sleep pace its copy).

`one_core()` keeps PostgreSQL's own parallel workers out of the
migration's statements (index builds, VALIDATE's scans): on a small
instance they would take every core from the application.
"""

from __future__ import annotations

import time

from alembic import op
from sqlalchemy import text

BATCH_ROWS = 5_000
PAUSE_S = 0.02
DUTY = 1.0


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
            began = time.monotonic()
            bind.execute(text(update), {"lo": start, "hi": start + batch})
            batches += 1
            time.sleep(max(PAUSE_S, DUTY * (time.monotonic() - began)))
    return batches


def one_core() -> None:
    """PostgreSQL: no parallel workers for this session's statements (see the module)."""
    if dialect() == "postgresql":
        op.execute("SET max_parallel_maintenance_workers = 0")
        op.execute("SET max_parallel_workers_per_gather = 0")


def autocommit(*statements: str) -> None:
    """Statements that must run outside a transaction (CONCURRENTLY, VALIDATE, session SETs)."""
    with op.get_context().autocommit_block():
        for statement in statements:
            op.execute(statement)


__all__ = ["BATCH_ROWS", "DUTY", "PAUSE_S", "autocommit", "backfill", "dialect", "one_core"]
