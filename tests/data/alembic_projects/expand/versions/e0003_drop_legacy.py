"""Contract: drop notes.legacy once the code deployed no longer reads it.

Revision ID: e0003
Revises: e0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e0003"
down_revision = "e0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column("notes", "legacy")


def downgrade() -> None:
    op.add_column("notes", sa.Column("legacy", sa.String(50), nullable=True))
