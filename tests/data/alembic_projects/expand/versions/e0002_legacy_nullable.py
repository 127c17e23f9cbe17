"""Expand: notes.legacy becomes nullable, so code that no longer writes it can insert.

Revision ID: e0002
Revises: e0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e0002"
down_revision = "e0001"
branch_labels = None
depends_on = None


def _nullable(nullable: bool) -> None:
    if op.get_context().dialect.name == "sqlite":  # SQLite has no ALTER COLUMN: copy the table
        with op.batch_alter_table("notes") as batch:
            batch.alter_column("legacy", existing_type=sa.String(50), nullable=nullable)
    else:
        op.alter_column("notes", "legacy", existing_type=sa.String(50), nullable=nullable)


def upgrade() -> None:
    _nullable(True)


def downgrade() -> None:
    _nullable(False)
