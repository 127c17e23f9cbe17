"""Add a nullable column: metadata only on both engines, asserted on MariaDB.

PostgreSQL: ADD COLUMN without a default changes the catalog only; its ACCESS
EXCLUSIVE lock is brief, and the job's lock_timeout (5 s, with retries)
keeps it from queueing the application behind a long transaction.
MariaDB: ALGORITHM=INSTANT makes the server refuse rather than copy.

Revision ID: om_add_nullable_dbtier
Revises: nippo's head (revisions.NIPPO_HEAD)
"""

from __future__ import annotations

from alembic import op

from bench.online_migration.backfill import dialect
from bench.online_migration.revisions import NIPPO_HEAD

revision = "om_add_nullable_dbtier"
down_revision = NIPPO_HEAD
branch_labels = None
depends_on = None

SQL = {
    "postgresql": "ALTER TABLE report_tasks ADD COLUMN note VARCHAR(200)",
    "mariadb": "ALTER TABLE report_tasks ADD COLUMN note VARCHAR(200) NULL, ALGORITHM=INSTANT",
}


def upgrade() -> None:
    op.execute(SQL[dialect()])


def downgrade() -> None:
    op.drop_column("report_tasks", "note")
