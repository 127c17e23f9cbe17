"""`dbtier migrate run` against a frozen server: it ends by its budget and says why.

- frozen before the job starts: exit 3 within the connect budget, with a JSON
  line naming what it waited for;
- frozen in the middle of a migration: a non-zero exit by `--max-runtime`
  (plus the time to try recording), a JSON line naming the revision and the
  statement; after the thaw the next run succeeds and the history shows the
  stuck run as failed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from dbtier.migrate.deadline import RECORD_BUDGET_S, connect_budget
from dbtier.testing.servers import ThrowawayServer

pytestmark = [pytest.mark.faults, pytest.mark.slow]

SLOW_PROJECT = Path(__file__).resolve().parents[1] / "data" / "alembic_projects" / "slow"
CONNECT_TIMEOUT = 1.0
RETRIES = 1
MAX_RUNTIME = 12.0
ALLOWANCE_S = 5.0  # a loaded, shared machine
# Wall-clock ceiling including the interpreter's start-up, which on a loaded CI
# machine alone can take tens of seconds; the job's own clock is held tighter.
WALL_CLOCK_CEILING_S = 90.0


def _database(server: ThrowawayServer, driver: str | None) -> URL:
    name = f"mig_{uuid.uuid4().hex[:8]}"
    quote = "`" if server.engine == "mariadb" else '"'
    server.execute(f"CREATE DATABASE {quote}{name}{quote}")
    return server.url(driver, database=name)


def _job(url: URL, tmp_path: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DBTIER_")}
    full_env |= {
        "DBTIER_DATABASE_URL": url.render_as_string(hide_password=False),
        "DBTIER_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
        "DBTIER_MAX_RUNTIME": str(MAX_RUNTIME),
        **env,
    }
    command = [sys.executable, "-m", "dbtier", "migrate", "run", "--connect-retries", str(RETRIES)]
    return subprocess.Popen(
        [*command, "--alembic-config", str(SLOW_PROJECT / "alembic.ini"), *args],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )


def _json_lines(stdout: str) -> list[dict[str, Any]]:
    lines = []
    for line in stdout.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_frozen_server_at_start_exits_3_within_the_connect_budget(
    server: ThrowawayServer, driver: str | None, tmp_path: Path
) -> None:
    url = _database(server, driver)
    with server.frozen():
        begun = time.monotonic()
        job = _job(url, tmp_path)
        stdout, stderr = job.communicate(timeout=120)
        elapsed = time.monotonic() - begun
    assert job.returncode == 3, (stdout, stderr)
    assert elapsed <= WALL_CLOCK_CEILING_S, elapsed
    lines = _json_lines(stdout)
    done = [line for line in lines if line.get("event") == "done"]
    assert done and done[-1]["status"] == "unreachable", stdout
    budget = connect_budget(CONNECT_TIMEOUT, RETRIES) + ALLOWANCE_S
    assert done[-1]["duration_ms"] / 1000 <= budget, (done[-1], budget)
    why = [
        line
        for line in lines
        if line.get("event") == "deadline exceeded" or line.get("status") == "unreachable"
    ]
    assert why, stdout
    text_of_why = json.dumps(why)
    assert "connect" in text_of_why or "answer" in text_of_why, text_of_why


def test_frozen_mid_migration_ends_by_its_deadline_and_the_next_run_succeeds(
    server: ThrowawayServer, driver: str | None, tmp_path: Path
) -> None:
    url = _database(server, driver)
    started = tmp_path / "started"
    job = _job(
        url,
        tmp_path,
        DBTIER_TEST_STARTED_FILE=str(started),
        DBTIER_TEST_SERVER_SLEEP="8",
    )
    begun = time.monotonic()
    try:
        while not started.exists():
            assert job.poll() is None, job.communicate()
            assert time.monotonic() - begun < 60, "the slow migration never started"
            time.sleep(0.05)
        with server.frozen():
            frozen_at = time.monotonic()
            stdout, stderr = job.communicate(timeout=MAX_RUNTIME + RECORD_BUDGET_S + 60)
            elapsed = time.monotonic() - frozen_at
    finally:
        if job.poll() is None:
            job.kill()
    assert job.returncode not in (0, None), (stdout, stderr)
    assert elapsed <= MAX_RUNTIME + RECORD_BUDGET_S + ALLOWANCE_S, elapsed
    deadline = [line for line in _json_lines(stdout) if line.get("event") == "deadline exceeded"]
    assert deadline, stdout
    assert deadline[0]["elapsed_s"] <= MAX_RUNTIME + ALLOWANCE_S, deadline[0]
    assert deadline[0]["during"] == "migrate"
    assert "s0002" in deadline[0]["waiting_for"], deadline[0]

    # Thawed: the next run applies the rest, and the stuck run is on record as failed.
    again = _job(url, tmp_path)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, (out, err)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            runs = conn.execute(
                text("SELECT status, error FROM dbtier_migration_runs ORDER BY started_at")
            ).all()
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    assert [status for status, _ in runs] == ["failed", "succeeded"], runs
    assert runs[0][1]  # the failed run says why
    assert version == "s0003"
