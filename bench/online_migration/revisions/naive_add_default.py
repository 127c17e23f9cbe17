"""Add a NOT NULL column with a constant default, as written.

Revision ID: om_add_default_naive
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "om_add_default_naive"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "report_tasks",
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
    )


def downgrade() -> None:
    op.drop_column("report_tasks", "status")
