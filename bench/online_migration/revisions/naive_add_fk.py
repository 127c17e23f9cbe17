"""Add a foreign key on the large table, as written.

Revision ID: om_add_fk_naive
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "om_add_fk_naive"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_foreign_key(
        "fk_report_tasks_report_id_reports",
        "report_tasks",
        "reports",
        ["report_id"],
        ["id"],
        ondelete="CASCADE",
    )


def downgrade() -> None:
    op.drop_constraint("fk_report_tasks_report_id_reports", "report_tasks", type_="foreignkey")
