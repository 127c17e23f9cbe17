"""Add a foreign key on the large table, as written.

Revision ID: om_add_fk_naive
Revises: nippo's head (revisions.NIPPO_HEAD)
"""

from __future__ import annotations

from alembic import op

from bench.online_migration.revisions import NIPPO_HEAD

revision = "om_add_fk_naive"
down_revision = NIPPO_HEAD
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
