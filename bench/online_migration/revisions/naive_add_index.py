"""Add an index, as written.

Revision ID: om_add_index_naive
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "om_add_index_naive"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_report_tasks_title", "report_tasks", ["title"])


def downgrade() -> None:
    op.drop_index("ix_report_tasks_title", table_name="report_tasks")
