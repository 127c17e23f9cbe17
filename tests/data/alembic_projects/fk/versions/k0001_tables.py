"""Accounts and orders, a few rows each.

Revision ID: k0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "k0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("accounts", sa.Column("id", sa.Integer, primary_key=True))
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer, nullable=False, index=True),
    )
    op.execute("INSERT INTO accounts (id) VALUES (1), (2)")
    op.execute("INSERT INTO orders (id, account_id) VALUES (1, 1), (2, 2), (3, 1)")


def downgrade() -> None:
    op.drop_table("orders")
    op.drop_table("accounts")
