"""Widen a column's type (INTEGER to BIGINT), as written.

Revision ID: om_change_type_naive
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "om_change_type_naive"
down_revision = "0001"
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
