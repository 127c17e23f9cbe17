"""Add a NOT NULL column computed from existing data, as written: add, backfill, constrain.

Revision ID: om_add_not_null_naive
Revises: nippo's head (revisions.NIPPO_HEAD)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bench.online_migration.revisions import NIPPO_HEAD

revision = "om_add_not_null_naive"
down_revision = NIPPO_HEAD
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("report_tasks", sa.Column("seconds", sa.Integer, server_default="0"))
    op.execute("UPDATE report_tasks SET seconds = minutes * 60")
    op.alter_column(
        "report_tasks",
        "seconds",
        nullable=False,
        existing_type=sa.Integer,
        existing_server_default="0",
    )


def downgrade() -> None:
    op.drop_column("report_tasks", "seconds")
