"""The items table, with a row.

Revision ID: g0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "g0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("legacy", sa.String(50), nullable=True),
    )
    op.execute("INSERT INTO items (id, name, legacy) VALUES (1, 'one', 'old')")


def downgrade() -> None:
    op.drop_table("items")
