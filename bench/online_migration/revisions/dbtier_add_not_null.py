"""Add a NOT NULL column computed from existing data: nullable first, batches, then the constraint.

1. Add the column nullable, with a default for the rows the running code
   inserts (metadata only; INSTANT on MariaDB).
2. Backfill in committed batches of 10,000 rows.
3. PostgreSQL: CHECK (seconds IS NOT NULL) NOT VALID, then VALIDATE (SHARE
   UPDATE EXCLUSIVE: reads and writes go on), then SET NOT NULL, which
   PostgreSQL 12+ proves from the validated check without a scan, then drop
   the check. MariaDB: MODIFY ... NOT NULL with ALGORITHM=INPLACE, LOCK=NONE
   (an online rebuild).

Revision ID: om_add_not_null_dbtier
Revises: nippo's head (revisions.NIPPO_HEAD)
"""

from __future__ import annotations

from alembic import op

from bench.online_migration.backfill import autocommit, backfill, dialect, one_core
from bench.online_migration.revisions import NIPPO_HEAD

revision = "om_add_not_null_dbtier"
down_revision = NIPPO_HEAD
branch_labels = None
depends_on = None

ADD = {
    "postgresql": "ALTER TABLE report_tasks ADD COLUMN seconds INTEGER DEFAULT 0",
    "mariadb": (
        "ALTER TABLE report_tasks ADD COLUMN seconds INTEGER NULL DEFAULT 0, ALGORITHM=INSTANT"
    ),
}
UPDATE = "UPDATE report_tasks SET seconds = minutes * 60 WHERE id >= :lo AND id < :hi"


def upgrade() -> None:
    one_core()
    op.execute(ADD[dialect()])
    backfill(UPDATE)
    if dialect() == "postgresql":
        # Each ACCESS EXCLUSIVE step commits at once (its own autocommit statement), so
        # the lock is not held on while the job goes on inside the revision's transaction.
        autocommit(
            "ALTER TABLE report_tasks ADD CONSTRAINT ck_report_tasks_seconds_nn "
            "CHECK (seconds IS NOT NULL) NOT VALID",
            "ALTER TABLE report_tasks VALIDATE CONSTRAINT ck_report_tasks_seconds_nn",
            "ALTER TABLE report_tasks ALTER COLUMN seconds SET NOT NULL",
            "ALTER TABLE report_tasks DROP CONSTRAINT ck_report_tasks_seconds_nn",
        )
    else:
        op.execute(
            "ALTER TABLE report_tasks MODIFY seconds INTEGER NOT NULL DEFAULT 0, "
            "ALGORITHM=INPLACE, LOCK=NONE"
        )


def downgrade() -> None:
    op.drop_column("report_tasks", "seconds")
