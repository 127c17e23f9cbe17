"""Reports carry their learner's running total of task minutes (`reports.minutes_through`).

The study-time statement reads the all-time total with one index seek instead
of summing every task up to the date (docs/performance.md). Online on every
engine:

1. Add the column NOT NULL with the constant default 0: metadata only
   (PostgreSQL 11+ stores the default in the catalog; INSTANT on MySQL 8.0.12+
   and MariaDB 10.3.2+, stated so the server refuses rather than copies). The
   code still deployed inserts without it and gets 0.
2. Backfill in committed batches of learners (each batch one UPDATE from a
   window sum over its learners' reports), a pause after each as long as the
   batch took, so the backfill takes at most about half of one core.

A report the code still deployed writes between this revision and the deploy
of the code that keeps the column gets 0 and shifts nothing: deploy that code
first thing after, and recompute the learners who wrote in between with
`nippo.service.running_total.rebuild` (or run this backfill again).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 09:10:00
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEARNERS_PER_BATCH = 200
PAUSE_S = 0.02

# The running total of every report of the batch's learners, grouped first (a derived
# table MySQL materializes, so the UPDATE may read the table it writes).
_RUNNING = (
    "SELECT r.id AS id, SUM(COALESCE(SUM(t.minutes), 0)) OVER "
    "(PARTITION BY r.learner_id ORDER BY r.report_date) AS through "
    "FROM reports r LEFT JOIN report_tasks t ON t.report_id = r.id "
    "WHERE r.learner_id >= :lo AND r.learner_id < :hi "
    "GROUP BY r.id, r.learner_id, r.report_date"
)
BACKFILL = {
    "mysql": (
        f"UPDATE reports JOIN ({_RUNNING}) running ON running.id = reports.id "
        "SET reports.minutes_through = running.through"
    ),
    "other": (
        f"UPDATE reports SET minutes_through = running.through FROM ({_RUNNING}) running "
        "WHERE reports.id = running.id"
    ),
}


def _family() -> str:
    name = str(op.get_context().dialect.name)
    return "mysql" if name in ("mysql", "mariadb") else name


def upgrade() -> None:
    if _family() == "mysql":
        op.execute(
            "ALTER TABLE reports ADD COLUMN minutes_through INTEGER NOT NULL DEFAULT 0, "
            "ALGORITHM=INSTANT"
        )
    else:
        op.add_column(
            "reports",
            sa.Column("minutes_through", sa.Integer(), server_default=sa.text("0"), nullable=False),
        )
    update = BACKFILL["mysql" if _family() == "mysql" else "other"]
    context = op.get_context()
    if context.as_sql:  # offline (`dbtier migrate lint`, `plan`): one batch shows the statement
        with context.autocommit_block():
            op.execute(sa.text(update).bindparams(lo=1, hi=1 + LEARNERS_PER_BATCH))
        return
    bind = op.get_bind()
    low, high = bind.execute(sa.text("SELECT min(learner_id), max(learner_id) FROM reports")).one()
    if low is None:
        return
    with context.autocommit_block():
        for start in range(int(low), int(high) + 1, LEARNERS_PER_BATCH):
            began = time.monotonic()
            bind.execute(sa.text(update), {"lo": start, "hi": start + LEARNERS_PER_BATCH})
            time.sleep(max(PAUSE_S, time.monotonic() - began))


def downgrade() -> None:
    op.drop_column("reports", "minutes_through")
