"""Widen a column's type (INTEGER to BIGINT), as written.

Revision ID: om_change_type_naive
Revises: nippo's head (revisions.NIPPO_HEAD)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bench.online_migration.revisions import NIPPO_HEAD

revision = "om_change_type_naive"
down_revision = NIPPO_HEAD
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column(
        "report_tasks",
        "minutes",
        type_=sa.BigInteger,
        existing_type=sa.Integer,
        existing_nullable=False,
    )


def downgrade() -> None:
    op.alter_column(
        "report_tasks",
        "minutes",
        type_=sa.Integer,
        existing_type=sa.BigInteger,
        existing_nullable=False,
    )
