"""Widen a column's type (INTEGER to BIGINT) without rewriting the table under a lock.

PostgreSQL (expand/contract inside one revision, as pgroll does it):
a shadow column kept in step by a trigger, a batched backfill, a validated
NOT NULL check, then one short transaction (under the job's lock_timeout)
that swaps the columns and re-adds the range check NOT VALID, validated
afterwards.

MariaDB: a type change cannot run INPLACE with LOCK=NONE, so the copy is
pt-online-schema-change's (triggers, chunked copy, atomic rename).

Revision ID: om_change_type_dbtier
Revises: nippo's head (revisions.NIPPO_HEAD)
"""

from __future__ import annotations

import subprocess

import sqlalchemy as sa
from alembic import op

from bench.online_migration.backfill import autocommit, backfill, dialect, one_core
from bench.online_migration.revisions import NIPPO_HEAD

# dbtier: allow DROP-COLUMN, RENAME-COLUMN because the swap replaces minutes with its BIGINT copy under the same name in one short transaction; code reading or writing minutes keeps working  # noqa: E501
revision = "om_change_type_dbtier"
down_revision = NIPPO_HEAD
branch_labels = None
depends_on = None

SYNC_FUNCTION = """
CREATE FUNCTION report_tasks_minutes_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.minutes_new := NEW.minutes;
  RETURN NEW;
END $$
"""
SWAP = [
    "ALTER TABLE report_tasks ALTER COLUMN minutes_new SET NOT NULL",
    "DROP TRIGGER report_tasks_minutes_sync ON report_tasks",
    "DROP FUNCTION report_tasks_minutes_sync()",
    "ALTER TABLE report_tasks DROP COLUMN minutes",
    "ALTER TABLE report_tasks RENAME COLUMN minutes_new TO minutes",
    "ALTER TABLE report_tasks ADD CONSTRAINT ck_report_tasks_minutes "
    "CHECK (minutes >= 0) NOT VALID",
    "ALTER TABLE report_tasks DROP CONSTRAINT ck_report_tasks_minutes_new_nn",
]


# pt-online-schema-change, paced for a live service on a small instance:
# - chunks of about 50 ms, then a 50 ms sleep: the copy takes at most about
#   half of one core, and no chunk holds its row locks for long;
# - it pauses while more than 8 threads run (the app is busy) and gives up
#   above 200 (something is badly wrong);
# - the statements that need the table's metadata lock (creating and dropping
#   the triggers, the atomic RENAME swap) wait at most 1 s for it, so the
#   application's queries never queue behind them for longer, and are tried
#   again up to 20 times, 0.5 s apart, instead of failing the migration;
# - the copy chunk's own deadlocks with the app's writes are retried by it;
#   the app's side of such a deadlock is a transaction the app runs again
#   (nippo.service.unit_of_work.retried).
PT_OSC_PACING = [
    "--chunk-time=0.05",
    "--sleep=0.05",
    "--max-load=Threads_running=8",
    "--critical-load=Threads_running=200",
    "--set-vars=lock_wait_timeout=1",
    "--tries=create_triggers:20:0.5,drop_triggers:20:0.5,swap_tables:20:0.5,copy_rows:10:0.25",
]


def _postgresql() -> None:
    one_core()
    op.execute("ALTER TABLE report_tasks ADD COLUMN minutes_new BIGINT")
    op.execute(SYNC_FUNCTION)
    op.execute(
        "CREATE TRIGGER report_tasks_minutes_sync BEFORE INSERT OR UPDATE ON report_tasks "
        "FOR EACH ROW EXECUTE FUNCTION report_tasks_minutes_sync()"
    )
    backfill("UPDATE report_tasks SET minutes_new = minutes WHERE id >= :lo AND id < :hi")
    op.execute(
        "ALTER TABLE report_tasks ADD CONSTRAINT ck_report_tasks_minutes_new_nn "
        "CHECK (minutes_new IS NOT NULL) NOT VALID"
    )
    autocommit("ALTER TABLE report_tasks VALIDATE CONSTRAINT ck_report_tasks_minutes_new_nn")
    for statement in SWAP:
        op.execute(statement)
    autocommit("ALTER TABLE report_tasks VALIDATE CONSTRAINT ck_report_tasks_minutes")


def _mariadb() -> None:
    if op.get_context().as_sql:
        return  # the copy is pt-online-schema-change's, not SQL of this revision
    url = op.get_bind().engine.url
    dsn = f"h={url.host},P={url.port or 3306},u={url.username},D={url.database},t=report_tasks"
    if url.password:
        dsn += f",p={url.password}"
    subprocess.run(
        [
            "pt-online-schema-change",
            "--alter",
            "MODIFY minutes BIGINT NOT NULL",
            "--execute",
            "--recursion-method=none",
            *PT_OSC_PACING,
            "--no-check-alter",
            "--quiet",
            dsn,
        ],
        check=True,
    )


def upgrade() -> None:
    if dialect() == "postgresql":
        _postgresql()
    else:
        _mariadb()


def downgrade() -> None:
    op.alter_column(
        "report_tasks",
        "minutes",
        type_=sa.Integer,
        existing_type=sa.BigInteger,
        existing_nullable=False,
    )
