"""Naive: drop notes.legacy while the deployed code still reads it.

Revision ID: d0002
Revises: d0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d0002"
down_revision = "d0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column("notes", "legacy")


def downgrade() -> None:
    op.add_column("notes", sa.Column("legacy", sa.String(50), nullable=True))
