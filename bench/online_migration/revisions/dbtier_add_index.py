"""Add an index without blocking writes.

PostgreSQL: CREATE INDEX CONCURRENTLY, outside a transaction (an
autocommit block; the job's session lock survives its commit).
MariaDB: ALGORITHM=INPLACE, LOCK=NONE, so the server refuses rather than
block writes.

Revision ID: om_add_index_dbtier
Revises: nippo's head (revisions.NIPPO_HEAD)
"""

from __future__ import annotations

from alembic import op

from bench.online_migration.backfill import autocommit, dialect, one_core
from bench.online_migration.revisions import NIPPO_HEAD

revision = "om_add_index_dbtier"
down_revision = NIPPO_HEAD
branch_labels = None
depends_on = None


def upgrade() -> None:
    one_core()
    if dialect() == "postgresql":
        autocommit("CREATE INDEX CONCURRENTLY ix_report_tasks_title ON report_tasks (title)")
    else:
        op.execute(
            "ALTER TABLE report_tasks ADD INDEX ix_report_tasks_title (title), "
            "ALGORITHM=INPLACE, LOCK=NONE"
        )


def downgrade() -> None:
    op.drop_index("ix_report_tasks_title", table_name="report_tasks")
