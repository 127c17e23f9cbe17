"""Must show: DDL blocked by another session's lock gives up after lock_timeout and retries.

Session A reads the busy table in an open transaction (a shared lock). The
job's `ALTER TABLE` needs an exclusive lock and queues behind A; session C's
plain `SELECT` then queues behind the ALTER. That pile-up is what takes an
application down during a migration. With the job's lock timeout the ALTER
gives up after `lock_timeout`, so C waits no longer than that; the job retries
and succeeds once A is done.

The comparison of C's wait with the timeout is a correctness bound (C would
otherwise wait for A's whole transaction), not a speed check.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from dbtier.migrate import JobResult, run_job

if TYPE_CHECKING:
    from tests.dbtier.migrate.conftest import JobDatabase

LOCK_TIMEOUT = 1.0
SCHEDULING_SLACK = 1.0  # thread and network scheduling on a shared, busy machine
A_HOLDS = 4.0  # A's transaction outlasts the bound by far: without the timeout C would wait ~4 s

WAITING_SQL = {
    "postgres": "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'relation'",
    "mysql": (
        "SELECT count(*) FROM information_schema.processlist "
        "WHERE state LIKE 'Waiting for table metadata lock%%' AND info LIKE 'ALTER TABLE%%'"
    ),
}


@pytest.mark.parametrize("backend", ["mysql", "postgres"])
def test_blocked_ddl_gives_up_and_retries_and_readers_wait_at_most_the_timeout(
    job_db: JobDatabase,
) -> None:
    blocked = job_db.project("blocked")
    setup = Config(str(blocked))
    setup.set_main_option("sqlalchemy.url", job_db.url_text.replace("%", "%%"))
    command.upgrade(setup, "b0001")

    engine = job_db.engine()
    reader_a, reader_c, watcher = engine.connect(), engine.connect(), engine.connect()
    reader_a.execute(text("SELECT * FROM busy")).all()  # A now holds a shared lock, open
    outcome: list[JobResult] = []
    job = threading.Thread(
        target=lambda: outcome.append(
            run_job(
                job_db.settings(lock_timeout=LOCK_TIMEOUT),
                config=blocked,
                lock_retries=5,
                retry_delay=0.2,
            )
        )
    )
    job.start()
    try:
        deadline = time.monotonic() + 60
        while not watcher.execute(text(WAITING_SQL[job_db.backend])).scalar():
            watcher.commit()
            assert time.monotonic() < deadline, "the job's ALTER never queued behind A"
            time.sleep(0.02)
        alter_waiting_since = time.monotonic()

        began = time.monotonic()
        reader_c.execute(text("SELECT * FROM busy")).all()  # queues behind the ALTER
        c_waited = time.monotonic() - began
        reader_c.commit()

        time.sleep(max(0.0, alter_waiting_since + A_HOLDS - time.monotonic()))
    finally:
        reader_a.rollback()
        job.join(timeout=120)
        for conn in (reader_a, reader_c, watcher):
            conn.close()
        engine.dispose()

    [result] = outcome
    assert result.status == "succeeded", result.error
    assert result.lock_retries >= 1  # it gave up at least once while A held its lock
    assert job_db.versions() == ["b0002"]
    # C waited for the ALTER's lock timeout at most, not for A's whole transaction.
    print(f"C waited {c_waited:.3f}s with lock_timeout {LOCK_TIMEOUT}s; A held {A_HOLDS}s")
    assert A_HOLDS > LOCK_TIMEOUT + SCHEDULING_SLACK + 1
    assert c_waited <= LOCK_TIMEOUT + SCHEDULING_SLACK, c_waited
