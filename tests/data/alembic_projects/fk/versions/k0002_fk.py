"""A foreign key on the existing orders table (a table copy on MySQL/MariaDB).

Revision ID: k0002
Revises: k0001
"""

from __future__ import annotations

from alembic import op

revision = "k0002"
down_revision = "k0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_foreign_key("fk_orders_account", "orders", "accounts", ["account_id"], ["id"])


def downgrade() -> None:
    op.drop_constraint("fk_orders_account", "orders", type_="foreignkey")
