"""The notes table; the deployed code reads every column of it.

Revision ID: d0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("body", sa.String(200), nullable=False),
        sa.Column("legacy", sa.String(50), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("notes")
