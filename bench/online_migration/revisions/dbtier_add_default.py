"""Add a column with a constant default: no rewrite on PostgreSQL 11+, INSTANT on MariaDB 10.3+.

Revision ID: om_add_default_dbtier
Revises: nippo's head (revisions.NIPPO_HEAD)
"""

from __future__ import annotations

from alembic import op

from bench.online_migration.backfill import dialect
from bench.online_migration.revisions import NIPPO_HEAD

revision = "om_add_default_dbtier"
down_revision = NIPPO_HEAD
branch_labels = None
depends_on = None

SQL = {
    "postgresql": "ALTER TABLE report_tasks ADD COLUMN status VARCHAR(16) NOT NULL DEFAULT 'open'",
    "mariadb": (
        "ALTER TABLE report_tasks ADD COLUMN status VARCHAR(16) NOT NULL DEFAULT 'open', "
        "ALGORITHM=INSTANT"
    ),
}


def upgrade() -> None:
    op.execute(SQL[dialect()])


def downgrade() -> None:
    op.drop_column("report_tasks", "status")
