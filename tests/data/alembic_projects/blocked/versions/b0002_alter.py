"""ALTER the busy table: needs an exclusive lock that a reader's transaction blocks.

Revision ID: b0002
Revises: b0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b0002"
down_revision = "b0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("busy", sa.Column("note", sa.String(50)))


def downgrade() -> None:
    op.drop_column("busy", "note")
