"""`dbtier up --admin-url`: the AWS users on a local server — migrate as the migrator, serve as
the DML-only app user. The real command in a subprocess, on the shared MariaDB and PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from dbusers_helpers import UsersDatabase
from sqlalchemy import text

from dbtier.testing.servers import free_port

START_TIMEOUT = 240.0  # a guard for a loaded machine, not a speed requirement
SESSIONS = {
    "mysql": "SELECT DISTINCT user FROM information_schema.processlist "
    "WHERE db = :db AND id <> CONNECTION_ID()",
    "postgres": "SELECT DISTINCT usename FROM pg_stat_activity "
    "WHERE datname = :db AND pid <> pg_backend_pid()",
}


def wait_until_ready(proc: subprocess.Popen[str], url: str) -> httpx.Response:
    give_up = time.monotonic() + START_TIMEOUT
    while time.monotonic() < give_up:
        assert proc.poll() is None, f"dbtier up exited with {proc.returncode} before serving"
        try:
            response = httpx.get(url, timeout=5)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {START_TIMEOUT} s")


@pytest.mark.slow
def test_up_with_an_admin_url_serves_as_the_app_user(users_db: UsersDatabase) -> None:
    port = free_port()
    data_dir = users_db.tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBTIER_")}
    env["DBTIER_ADMIN_URL"] = users_db.admin_url.render_as_string(hide_password=False)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dbtier",
            "up",
            "--no-schedule",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            "--migrator-user",
            users_db.migrator,
            "--app-user",
            users_db.app,
        ],
        cwd=users_db.tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_ready(proc, f"http://127.0.0.1:{port}/readyz")  # read as the app user
        engine = users_db.admin()
        with engine.connect() as conn:
            sessions = set(
                conn.execute(text(SESSIONS[users_db.backend]), {"db": users_db.admin_url.database})
                .scalars()
                .all()
            )
        engine.dispose()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
    # Only the service is connected now (the job has exited): as the app user, not root.
    assert sessions == {users_db.app}, proc.stderr.read() if proc.stderr else ""
    secrets = data_dir / "secrets"
    for name, user in (("migrator.json", users_db.migrator), ("app.json", users_db.app)):
        path = Path(secrets / name)
        assert path.stat().st_mode & 0o077 == 0
        assert f'"username": "{user}"' in path.read_text(encoding="utf-8")
