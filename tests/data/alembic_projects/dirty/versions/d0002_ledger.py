"""Create the ledger, seed an account, add the ledger's amount (fails until fixed).

Its last statement names a table that does not exist unless
DBTIER_TEST_MIGRATION_FIXED=1, when it names the ledger: the tests run it
broken (half-applied on MySQL/MariaDB), then "fix the migration" that way.

Revision ID: d0002
Revises: d0001
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import op

revision = "d0002"
down_revision = "d0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("ledger", sa.Column("id", sa.Integer, primary_key=True))
    op.execute("INSERT INTO accounts (id, name) VALUES (1, 'opening balance')")
    fixed = os.environ.get("DBTIER_TEST_MIGRATION_FIXED") == "1"
    op.add_column("ledger" if fixed else "no_such_table", sa.Column("amount", sa.Integer))


def downgrade() -> None:
    op.drop_table("ledger")
    op.execute("DELETE FROM accounts WHERE id = 1")
