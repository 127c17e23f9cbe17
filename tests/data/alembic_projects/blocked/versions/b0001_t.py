"""Create the busy table the lock-timeout tests read from.

Revision ID: b0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("busy", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("busy")
