"""Add a foreign key on the large table without blocking writes for the check.

PostgreSQL: ADD CONSTRAINT ... NOT VALID (a brief lock, no scan), then
VALIDATE CONSTRAINT (SHARE UPDATE EXCLUSIVE: reads and writes go on).
MariaDB: with foreign_key_checks=0 the server can add the key
ALGORITHM=INPLACE, LOCK=NONE (with checks on it copies the table, blocking
writes); the existing rows are then checked with a plain, non-locking query.

Revision ID: om_add_fk_dbtier
Revises: nippo's head (revisions.NIPPO_HEAD)
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

from bench.online_migration.backfill import autocommit, dialect, one_core
from bench.online_migration.revisions import NIPPO_HEAD

# dbtier: allow MY-LOCKING-CLAUSE, MY-FK-ADD because with foreign_key_checks=0 InnoDB adds the key INPLACE with LOCK=NONE (no copy), and the orphan query checks the existing rows  # noqa: E501
revision = "om_add_fk_dbtier"
down_revision = NIPPO_HEAD
branch_labels = None
depends_on = None

ORPHANS = (
    "SELECT count(*) FROM report_tasks t LEFT JOIN reports r ON r.id = t.report_id "
    "WHERE r.id IS NULL"
)


def upgrade() -> None:
    one_core()
    if dialect() == "postgresql":
        op.execute(
            "ALTER TABLE report_tasks ADD CONSTRAINT fk_report_tasks_report_id_reports "
            "FOREIGN KEY (report_id) REFERENCES reports (id) ON DELETE CASCADE NOT VALID"
        )
        autocommit("ALTER TABLE report_tasks VALIDATE CONSTRAINT fk_report_tasks_report_id_reports")
        return
    op.execute("SET SESSION foreign_key_checks = 0")
    try:
        op.execute(
            "ALTER TABLE report_tasks ADD CONSTRAINT fk_report_tasks_report_id_reports "
            "FOREIGN KEY (report_id) REFERENCES reports (id) ON DELETE CASCADE, "
            "ALGORITHM=INPLACE, LOCK=NONE"
        )
    finally:
        op.execute("SET SESSION foreign_key_checks = 1")
    if op.get_context().as_sql:
        return
    orphans = op.get_bind().execute(text(ORPHANS)).scalar()
    if orphans:
        raise RuntimeError(f"{orphans} report_tasks rows reference no report")


def downgrade() -> None:
    op.drop_constraint("fk_report_tasks_report_id_reports", "report_tasks", type_="foreignkey")
