"""Add an index, as written.

Revision ID: om_add_index_naive
Revises: nippo's head (revisions.NIPPO_HEAD)
"""

from __future__ import annotations

from alembic import op

from bench.online_migration.revisions import NIPPO_HEAD

revision = "om_add_index_naive"
down_revision = NIPPO_HEAD
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_report_tasks_title", "report_tasks", ["title"])


def downgrade() -> None:
    op.drop_index("ix_report_tasks_title", table_name="report_tasks")
