"""Must show: 8 concurrent `dbtier migrate run` processes, and a runner killed with SIGKILL.

The slow project's second migration waits for a release file, so the runner
holding the lock is still migrating while the other seven give up after
`--lock-wait`; the test lets it finish only once all seven have exited. The
outcome then does not depend on how fast the machine starts processes.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dbtier.migrate import run_job

if TYPE_CHECKING:
    from tests.dbtier.migrate.conftest import JobDatabase

RUNNERS = 8


def _wait_until(condition: Callable[[], object], what: str, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.slow
def test_eight_runners_exactly_one_applies(job_db: JobDatabase, tmp_path: Path) -> None:
    release = tmp_path / "release"
    env = {"DBTIER_TEST_RELEASE_FILE": str(release), "DBTIER_TEST_MAX_WAIT": "400"}
    args = ["migrate", "run", "--alembic-config", str(job_db.project("slow")), "--lock-wait", "0.5"]
    runners = [job_db.cli([*args, "--trigger-id", f"runner-{n}"], env=env) for n in range(RUNNERS)]
    try:
        _wait_until(
            lambda: sum(r.poll() is not None for r in runners) >= RUNNERS - 1,
            f"{RUNNERS - 1} runners to step aside",
        )
    finally:
        release.touch()
    outputs = [runner.communicate(timeout=300) for runner in runners]
    codes = [runner.returncode for runner in runners]
    assert codes == [0] * RUNNERS, [err for _out, err in outputs]
    outcomes = sorted(str(job_db.emf_status(out)) for out, _err in outputs)
    assert outcomes == ["skipped"] * (RUNNERS - 1) + ["succeeded"]
    assert job_db.statuses() == {"succeeded": 1, "skipped": RUNNERS - 1}
    assert job_db.versions() == ["s0003"]


@pytest.mark.slow
def test_sigkill_mid_migration_leaves_no_lock(
    job_db: JobDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, release = tmp_path / "started", tmp_path / "release"
    env = {"DBTIER_TEST_STARTED_FILE": str(started), "DBTIER_TEST_RELEASE_FILE": str(release)}
    victim = job_db.cli(["migrate", "run", "--alembic-config", str(job_db.project("slow"))], env)
    try:
        _wait_until(started.exists, "the slow migration to start")
        assert victim.poll() is None
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    assert job_db.versions() == ["s0001"]  # killed in the middle: s0002 was running

    monkeypatch.delenv("DBTIER_TEST_RELEASE_FILE", raising=False)
    # A bounded wait: the server must notice the dead client and drop its session lock.
    result = run_job(job_db.settings(), config=job_db.project("slow"), lock_wait=15)
    assert (result.status, result.from_rev, result.to_rev) == ("succeeded", "s0001", "s0003")
    assert job_db.versions() == ["s0003"]
    # The killed runner's `running` row was closed as failed by the run that followed.
    assert job_db.statuses() == {"failed": 1, "succeeded": 1}


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["mysql", "postgres"])
def test_sigkill_during_a_long_server_side_statement_leaves_no_lock(
    job_db: JobDatabase, tmp_path: Path
) -> None:
    """The killed runner's backend is busy in a 60 s statement, not idle in a transaction.

    PostgreSQL would keep that session (and its advisory lock) until the
    statement ends; the job's `client_connection_check_interval` makes it
    notice the dead client within a second. MariaDB checks on its own.
    """
    started = tmp_path / "started"
    env = {"DBTIER_TEST_STARTED_FILE": str(started), "DBTIER_TEST_SERVER_SLEEP": "60"}
    victim = job_db.cli(["migrate", "run", "--alembic-config", str(job_db.project("slow"))], env)
    try:
        _wait_until(started.exists, "the slow migration to start")
        time.sleep(0.5)  # let the server-side sleep begin
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=30)
    # Well under the victim's 60 s statement: the lock must come free long before it ends.
    result = run_job(job_db.settings(), config=job_db.project("slow"), lock_wait=15)
    assert (result.status, result.to_rev) == ("succeeded", "s0003")
