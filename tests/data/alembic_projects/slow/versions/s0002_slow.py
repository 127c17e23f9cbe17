"""A deliberately long migration: it waits until the test lets it go.

It touches `DBTIER_TEST_STARTED_FILE` when it begins, then waits (at most
`DBTIER_TEST_MAX_WAIT` seconds, default 60) for `DBTIER_TEST_RELEASE_FILE` to
exist, then creates a table. Without those variables it does not wait. With
`DBTIER_TEST_SERVER_SLEEP=SECONDS` it instead sleeps inside the database
server (`pg_sleep` / `SLEEP`), a long statement like a big `ALTER TABLE`. The
wait comes before the DDL, so a runner killed while waiting has changed
nothing, on every engine. Rendered offline (`--sql`, as the lint gate reads
it) it neither waits nor touches the files.

Revision ID: s0002
Revises: s0001
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "s0002"
down_revision = "s0001"
branch_labels = None
depends_on = None


def _wait_for_release() -> None:
    started = os.environ.get("DBTIER_TEST_STARTED_FILE")
    if started:
        Path(started).touch()
    release = os.environ.get("DBTIER_TEST_RELEASE_FILE")
    if not release:
        return
    deadline = time.monotonic() + float(os.environ.get("DBTIER_TEST_MAX_WAIT", "60"))
    while not Path(release).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{release} did not appear")
        time.sleep(0.05)


def _server_sleep(seconds: float) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text(f"SELECT pg_sleep({seconds})"))
    else:
        op.execute(sa.text(f"SELECT SLEEP({seconds})"))


def upgrade() -> None:
    if op.get_context().as_sql:  # rendered offline (the lint gate reads it): no side effects
        op.create_table("slow_done", sa.Column("id", sa.Integer, primary_key=True))
        return
    server_sleep = os.environ.get("DBTIER_TEST_SERVER_SLEEP")
    if server_sleep:
        Path(os.environ["DBTIER_TEST_STARTED_FILE"]).touch()
        _server_sleep(float(server_sleep))
    else:
        _wait_for_release()
    op.create_table("slow_done", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("slow_done")
