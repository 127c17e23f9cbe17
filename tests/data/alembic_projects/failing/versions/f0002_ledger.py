"""Two statements that work, then one that fails (its table does not exist).

On MySQL/MariaDB the CREATE TABLE commits implicitly, so the failure leaves
the schema half-way through this revision.

Revision ID: f0002
Revises: f0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f0002"
down_revision = "f0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("ledger", sa.Column("id", sa.Integer, primary_key=True))
    op.execute("INSERT INTO accounts (id, name) VALUES (1, 'opening balance')")
    op.execute("ALTER TABLE no_such_table ADD COLUMN amount INTEGER")


def downgrade() -> None:
    op.drop_table("ledger")
