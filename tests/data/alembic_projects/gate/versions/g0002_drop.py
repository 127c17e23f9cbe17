"""Drop a column and index another: blocking without review (the gate tests add the allowance).

Revision ID: g0002
Revises: g0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "g0002"
down_revision = "g0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column("items", "legacy")
    op.create_index("ix_items_name", "items", ["name"])


def downgrade() -> None:
    op.drop_index("ix_items_name", table_name="items")
    op.add_column("items", sa.Column("legacy", sa.String(50), nullable=True))
