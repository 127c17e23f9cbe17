"""Index items.name; on PostgreSQL with CREATE INDEX CONCURRENTLY outside a transaction.

The autocommit block commits the migration's transaction; the job's session
advisory lock survives it (a transaction-level lock would not).

Revision ID: s0003
Revises: s0002
"""

from __future__ import annotations

from alembic import op

revision = "s0003"
down_revision = "s0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":  # also right offline (lint)
        with op.get_context().autocommit_block():
            op.create_index("ix_items_name", "items", ["name"], postgresql_concurrently=True)
    else:
        op.create_index("ix_items_name", "items", ["name"])


def downgrade() -> None:
    op.drop_index("ix_items_name", table_name="items")
