"""Add a nullable column, as written.

Revision ID: om_add_nullable_naive
Revises: nippo's head (revisions.NIPPO_HEAD)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bench.online_migration.revisions import NIPPO_HEAD

revision = "om_add_nullable_naive"
down_revision = NIPPO_HEAD
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("report_tasks", sa.Column("note", sa.String(200), nullable=True))


def downgrade() -> None:
    op.drop_column("report_tasks", "note")
